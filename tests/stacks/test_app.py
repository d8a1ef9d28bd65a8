"""The whole app: stack names, providers, state backends, tags and cross-stack wiring."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from stacks.app import STACK_PARTS as PARTS
from stacks.bindings import aws
from stacks.config import Environment
from stacks.environment_stack import required_tags
from tests.helpers import Document


def test_every_environment_has_its_stacks(stacks: dict[str, Document], environments: dict[str, Environment]) -> None:
    assert sorted(stacks) == sorted(f"{env}-{part}" for env in environments for part in PARTS)


def test_stacks_reference_each_other_instead_of_copying_values(stacks: dict[str, Document]) -> None:
    for env in ("dev", "prod"):
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


@pytest.mark.parametrize("part", [part for part in PARTS if part != "bootstrap"])
def test_prod_state_is_in_s3_encrypted_and_locked(stacks: dict[str, Document], part: str) -> None:
    backend = stacks[f"prod-{part}"]["terraform"]["backend"]
    assert backend == {
        "s3": {
            "bucket": "acme-terraform-state-222222222222",
            "key": f"prod/{part}.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "use_lockfile": True,
        }
    }
    remote_states = stacks[f"prod-{part}"].get("data", {}).get("terraform_remote_state", {})
    assert all(state["backend"] == "s3" for state in remote_states.values())


def test_dev_without_a_bucket_keeps_local_state(stacks: dict[str, Document]) -> None:
    assert set(stacks["dev-network"]["terraform"]["backend"]) == {"local"}


def test_the_stack_that_creates_the_state_bucket_keeps_local_state(stacks: dict[str, Document]) -> None:
    assert set(stacks["prod-bootstrap"]["terraform"]["backend"]) == {"local"}


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
