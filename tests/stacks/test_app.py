"""The whole app: stack names, providers, state backends, tags and cross-stack wiring."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from cdktf import App, TerraformStack

from stacks.app import STACK_PARTS as PARTS
from stacks.bindings import aws
from stacks.config import Environment
from stacks.environment_stack import required_tags
from tests.conftest import ENVIRONMENT_NAMES, ROOT
from tests.helpers import Document


def test_every_environment_has_its_stacks(stacks: dict[str, Document], environments: dict[str, Environment]) -> None:
    assert sorted(stacks) == sorted(f"{env}-{part}" for env in environments for part in PARTS)


def test_stacks_reference_each_other_instead_of_copying_values(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    for env in environments:
        remote_states = stacks[f"{env}-data"]["data"]["terraform_remote_state"]
        assert set(remote_states) == {
            f"cross-stack-reference-input-{env}-network",
            f"cross-stack-reference-input-{env}-cluster",
        }
        assert set(stacks[f"{env}-cluster"]["data"]["terraform_remote_state"]) == {
            f"cross-stack-reference-input-{env}-network"
        }
        assert set(stacks[f"{env}-platform"]["data"]["terraform_remote_state"]) == {
            f"cross-stack-reference-input-{env}-{part}" for part in ("network", "cluster", "data")
        }


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
@pytest.mark.parametrize("part", [part for part in PARTS if part != "bootstrap"])
def test_state_is_in_s3_encrypted_with_the_bootstrap_key_and_locked(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str, part: str
) -> None:
    """Every environment: a CI runner is thrown away after each run, local state with it."""
    state = environments[env].state
    backend = stacks[f"{env}-{part}"]["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": state.bucket,
            "key": f"{env}/{part}.tfstate",
            "region": state.region or environments[env].region,
            "encrypt": True,
            # Without the key the backend writes with SSE-S3, not the bootstrap key.
            "kms_key_id": state.kms_key_arn,
            "use_lockfile": True,
        }
    }
    remote_states = stacks[f"{env}-{part}"].get("data", {}).get("terraform_remote_state", {})
    assert all(remote["backend"] == "s3" for remote in remote_states.values())


def test_every_stack_demands_the_terraform_of_s3_native_locking(stacks: dict[str, Document]) -> None:
    assert {name: document["terraform"].get("required_version") for name, document in stacks.items()} == {
        name: ">= 1.10" for name in stacks
    }


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_stack_that_creates_the_state_bucket_keeps_local_state_at_the_project_root(
    stacks: dict[str, Document], env: str
) -> None:
    [path] = [backend["path"] for backend in stacks[f"{env}-bootstrap"]["terraform"]["backend"].values()]
    # cdktf runs Terraform in cdktf.out/stacks/<stack>/.
    working_directory = ROOT / "cdktf.out" / "stacks" / f"{env}-bootstrap"
    assert not Path(path).is_absolute()
    assert (working_directory / path).resolve() == ROOT / f"terraform.{env}-bootstrap.tfstate"


def files_containing(directory: Path, needle: str) -> list[str]:
    """Every file, the rotation function's zip among them (its entries are stored, so readable)."""
    return sorted(
        str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()
    )


def test_no_synthesized_file_depends_on_where_it_was_synthesized(synth_dir: Path) -> None:
    assert files_containing(synth_dir, str(ROOT)) == []


def test_a_stack_with_cdktfs_default_backend_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: cdktf's default local backend bakes in the directory of the
    synth process (its Node.js side, which keeps the directory it started in)."""
    app = App(outdir=str(tmp_path))
    TerraformStack(app, "default-backend")
    app.synth()
    document = json.loads((tmp_path / "stacks" / "default-backend" / "cdk.tf.json").read_text())
    synth_directory = Path(document["terraform"]["backend"]["local"]["path"]).parent
    assert synth_directory.is_absolute()
    assert files_containing(tmp_path, str(synth_directory)) == ["stacks/default-backend/cdk.tf.json"]


def test_providers_are_pinned_to_the_environment_account(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    for name, document in stacks.items():
        env = environments[name.split("-")[0]]
        [provider] = document["provider"]["aws"]
        assert provider["region"] == env.region
        assert provider["allowed_account_ids"] == [env.account_id]
        assert provider["default_tags"] == [{"tags": required_tags(env)}]


def _resource_class(kind: str) -> Any:
    module = getattr(aws, kind.removeprefix("aws_"))
    for _, member in inspect.getmembers(module, inspect.isclass):
        if getattr(member, "TF_RESOURCE_TYPE", None) == kind:
            return member
    raise AssertionError(f"no binding class for {kind}")


def test_every_taggable_resource_carries_the_required_tags(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    """Tags come from the provider's default_tags; a resource is covered when it is taggable,
    uses that provider, and does not override a required key with another value."""
    checked = 0
    for name, document in stacks.items():
        required = required_tags(environments[name.split("-")[0]])
        for kind, blocks in document["resource"].items():
            if not kind.startswith("aws_") or not hasattr(_resource_class(kind), "tags_input"):
                continue
            for body in blocks.values():
                assert "provider" not in body, f"{kind} uses another provider than the tagged one"
                overridden = {k for k, v in body.get("tags", {}).items() if k in required and v != required[k]}
                assert not overridden, f"{name} {kind} overrides {overridden}"
                checked += 1
    assert checked > 50


def test_instances_launched_by_node_groups_are_tagged(
    stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    template = next(iter(stacks["prod-cluster"]["resource"]["aws_launch_template"].values()))
    required = required_tags(environments["prod"])
    kinds = {spec["resource_type"] for spec in template["tag_specifications"]}
    assert kinds == {"instance", "volume", "network-interface"}
    assert all(required.items() <= spec["tags"].items() for spec in template["tag_specifications"])
