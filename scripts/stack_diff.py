"""How two synthesized apps differ, stack by stack and address by address, without AWS.

Where no plan can be made (no AWS credentials: a fork's pull request, `make diff`), the
closest thing to one is the synthesized JSON itself: each stack's `cdk.tf.json`, read by
Terraform address (`aws_db_instance.postgres_instance`, `data.aws_iam_policy_document.x`,
`output.vpc_id`, `provider.aws`). An address is added, removed, or changed when its
block differs; a changed one names the attributes that differ, never their values (a
synthesized stack may hold values nobody should read in a comment).

Standard library only, like pr_comment.py, which shows the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHOWN_ATTRIBUTES = 4  # named for each changed address; the rest are counted
# Top-level blocks of a Terraform JSON document and the address prefix Terraform gives them.
# https://developer.hashicorp.com/terraform/language/syntax/json
PREFIXES = {"data": "data.", "output": "output.", "module": "module.", "variable": "var.", "locals": "local."}


@dataclass
class StackDiff:
    stack: str
    status: str  # "added", "removed" or "changed"
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)  # address → attributes that differ

    @property
    def line(self) -> str:
        """One row of the comment's table."""
        if self.status != "changed":
            count = len(self.added or self.removed)
            return f"| `{self.stack}` | stack {self.status} ({count} address{'es' if count != 1 else ''}) | |"
        kinds = (("added", self.added), ("removed", self.removed), ("changed", self.changed))
        counts = ", ".join(f"{len(found)} {verb}" for verb, found in kinds if found)
        named = [f"+ `{a}`" for a in self.added] + [f"- `{a}`" for a in self.removed]
        named += [f"~ `{address}` ({_attributes(paths)})" for address, paths in self.changed.items()]
        return f"| `{self.stack}` | {counts} | {'<br>'.join(named)} |"


def read_synth(outdir: Path) -> dict[str, dict[str, Any]]:
    """Stack name → its synthesized document, for the stacks in `outdir`'s manifest.json
    (the stacks of the last synth: cdktf rewrites the manifest, not the folders)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in sorted(manifest["stacks"].items())
    }


def addresses(document: Mapping[str, Any]) -> dict[str, Any]:
    """Every block of one stack by its Terraform address; cdktf's `//` metadata left out."""
    found: dict[str, Any] = {}
    for kind, blocks in document.items():
        if kind == "//" or not isinstance(blocks, Mapping):
            continue
        if kind in ("resource", "data"):
            for type_, instances in blocks.items():
                for name, body in instances.items():
                    found[f"{PREFIXES.get(kind, '')}{type_}.{name}"] = _without_metadata(body)
        elif kind == "terraform":
            found["terraform"] = _without_metadata(blocks)
        else:  # provider, output, module, variable, locals
            for name, body in blocks.items():
                found[f"{PREFIXES.get(kind, kind + '.')}{name}"] = _without_metadata(body)
    return found


@dataclass
class SynthDiff:
    differ: list[StackDiff]  # in stack name order
    unchanged: list[str]


def compare(base: Mapping[str, Mapping[str, Any]], head: Mapping[str, Mapping[str, Any]]) -> SynthDiff:
    """Every stack that differs, in name order, and the names of those that do not."""
    found = []
    unchanged = []
    for stack in sorted(set(base) | set(head)):
        before = addresses(base[stack]) if stack in base else None
        after = addresses(head[stack]) if stack in head else None
        if before is None and after is not None:
            found.append(StackDiff(stack, "added", added=sorted(after)))
        elif after is None and before is not None:
            found.append(StackDiff(stack, "removed", removed=sorted(before)))
        elif before is not None and after is not None and before != after:
            found.append(
                StackDiff(
                    stack,
                    "changed",
                    added=sorted(set(after) - set(before)),
                    removed=sorted(set(before) - set(after)),
                    changed={
                        address: changed_attributes(before[address], after[address])
                        for address in sorted(set(before) & set(after))
                        if before[address] != after[address]
                    },
                )
            )
        else:
            unchanged.append(stack)
    return SynthDiff(found, unchanged)


def changed_attributes(before: Any, after: Any, path: str = "") -> list[str]:
    """The dotted paths (`tags.Name`, `ingress[0].from_port`) at which two blocks differ."""
    if before == after:
        return []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        return [
            found
            for key in sorted(set(before) | set(after))
            for found in changed_attributes(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        pairs = enumerate(zip(before, after, strict=True))
        return [found for i, (old, new) in pairs for found in changed_attributes(old, new, f"{path}[{i}]")]
    return [path or "(the whole block)"]


def _attributes(paths: list[str]) -> str:
    shown = ", ".join(paths[:SHOWN_ATTRIBUTES])
    return shown + (f" and {len(paths) - SHOWN_ATTRIBUTES} more" if len(paths) > SHOWN_ATTRIBUTES else "")


def _without_metadata(body: Any) -> Any:
    return {k: v for k, v in body.items() if k != "//"} if isinstance(body, Mapping) else body
