"""State: every stack a workflow plans or deploys keeps its state where the next run finds
it — S3, encrypted with the bootstrap KMS key, with S3-native locking — and declares
the Terraform version that backend needs. Stack references read the producer's real
backend, and nothing synthesized carries a path of the machine that synthesized it.
Only `<env>-bootstrap` stays local: it creates the bucket (applied by hand, runbook).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from system.facts import SystemFacts, Violation
from system.terraform import Document, data_sources

INVARIANT = "state"
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$|^arn:aws[a-z-]*:kms:.*:key/mrk-")
# S3-native locking (`use_lockfile`) arrived in Terraform 1.10.
REQUIRED_VERSION = re.compile(r">=\s*1\.(1\d|[2-9]\d)")


def check(facts: SystemFacts) -> Iterator[Violation]:
    for name, document in sorted(facts.stacks.items()):
        if not name.startswith(f"{facts.env.name}-"):
            continue
        yield from _backend(facts, name, document)
        yield from _remote_reads(facts, name, document)
    yield from _machine_paths(facts)


def backend(document: Document) -> tuple[str, dict[str, Any]]:
    ((kind, config),) = document.get("terraform", {}).get("backend", {"local": {}}).items()
    return kind, dict(config)


def _backend(facts: SystemFacts, name: str, document: Document) -> Iterator[Violation]:
    kind, config = backend(document)
    if not REQUIRED_VERSION.search(str(document.get("terraform", {}).get("required_version", ""))):
        yield Violation(INVARIANT, name, "terraform.required_version must demand >= 1.10 (S3-native locking)")
    if name == facts.stack_name("bootstrap"):
        if kind != "local":
            yield Violation(
                INVARIANT, name, f"the bootstrap stack creates the state bucket; it cannot keep state in {kind}"
            )
        return
    if kind != "s3":
        yield Violation(
            INVARIANT,
            name,
            f"{kind} state on a CI runner is lost after the run; set state.bucket in the environment file",
        )
        return
    if config.get("encrypt") is not True:
        yield Violation(INVARIANT, name, "backend.s3.encrypt is not true")
    key = str(config.get("kms_key_id", ""))
    if not KMS_KEY_ARN.match(key):
        yield Violation(
            INVARIANT,
            name,
            "backend.s3 has no kms_key_id: state is written with SSE-S3, not the bootstrap key "
            "(set state.kms_key_arn to the bootstrap stack's state_key_arn output)",
        )
    elif key.split(":")[4] != facts.env.account_id:
        yield Violation(INVARIANT, name, f"backend.s3.kms_key_id {key} is not in account {facts.env.account_id}")
    if config.get("use_lockfile") is not True:
        yield Violation(INVARIANT, name, "backend.s3.use_lockfile is not true: two runs can write the state at once")


def _remote_reads(facts: SystemFacts, name: str, document: Document) -> Iterator[Violation]:
    for data_name, body in data_sources(document, "terraform_remote_state").items():
        producer = data_name.removeprefix("cross-stack-reference-input-")
        if producer not in facts.stacks:
            yield Violation(INVARIANT, name, f"reads the state of {producer}, which is not synthesized")
            continue
        kind, config = backend(facts.stacks[producer])
        read = {k: v for k, v in (body.get("config") or {}).items() if k in ("bucket", "key", "region", "path")}
        wanted = {k: v for k, v in config.items() if k in ("bucket", "key", "region", "path")}
        if body.get("backend") != kind or read != wanted:
            yield Violation(
                INVARIANT,
                name,
                f"reads {producer}'s outputs from {body.get('backend')} {read}, "
                f"but {producer} keeps state in {kind} {wanted}",
            )


def _machine_paths(facts: SystemFacts) -> Iterator[Violation]:
    """No synthesized file may depend on where it was synthesized."""
    needles = {str(facts.repo.resolve()), str(facts.synth_dir.resolve())}
    for stack in sorted(facts.stacks):
        if not stack.startswith(f"{facts.env.name}-"):
            continue
        directory = facts.synth_dir / "stacks" / stack
        for path in sorted(directory.rglob("*.json")) if directory.is_dir() else []:
            text = path.read_text()
            for needle in needles:
                if needle in text:
                    yield Violation(
                        INVARIANT, f"{stack}/{path.name}", f"contains the absolute path {needle} of the synth machine"
                    )
                    break
