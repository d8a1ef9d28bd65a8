"""Comparing a re-plan with the reviewed plan: what counts as the same change, and the one line
the deploy step stops with. Plans have the shape `terraform show -json` prints (format 1.2)."""

from __future__ import annotations

import copy
from typing import Any

from scripts.plan_compare import changes, differences, one_line

SECRET = "hunter2-never-in-a-log"


def resource(address: str, actions: list[str], after: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "address": address,
        "type": address.split(".")[0],
        "change": {
            "actions": actions,
            "before": None if actions == ["create"] else {"name": "old"},
            "after": after if after is not None else {"name": "new"},
            "after_unknown": {"id": True} if "create" in actions else {},
        },
    }


REVIEWED: dict[str, Any] = {
    "format_version": "1.2",
    "terraform_version": "1.11.4",
    "prior_state": {"values": {"outputs": {}}},
    "resource_changes": [
        resource("aws_eks_access_entry.ci", ["create"]),
        resource("helm_release.flux", ["update"], {"values": [f"password: {SECRET}"]}),
        resource("aws_iam_policy_document.trust", ["read"]),
        resource("aws_s3_bucket.logs", ["no-op"]),
    ],
    "output_changes": {
        "cluster_name": {"actions": ["no-op"], "before": "acme-dev-eks", "after": "acme-dev-eks"},
        "endpoint": {"actions": ["create"], "before": None, "after": None, "after_unknown": True},
    },
    "timestamp": "2026-11-27T10:00:00Z",
}


def replanned(**edits: Any) -> dict[str, Any]:
    plan = copy.deepcopy(REVIEWED)
    plan["timestamp"] = "2026-11-27T10:20:00Z"
    plan["prior_state"] = {"values": {"outputs": {"cluster_name": {"value": "acme-dev-eks"}}}}
    plan.update(edits)
    return plan


def test_what_a_plan_changes_leaves_out_reads_and_no_ops() -> None:
    assert sorted(changes(REVIEWED)) == ["aws_eks_access_entry.ci", "helm_release.flux", "output.endpoint"]


def test_a_plan_made_again_with_the_same_changes_does_not_differ() -> None:
    """Another timestamp, another prior state: not a change."""
    assert differences(REVIEWED, replanned()) == []


def test_every_kind_of_difference_is_named_by_address_without_values() -> None:
    plan = replanned()
    plan["resource_changes"] = [
        resource("helm_release.flux", ["update"], {"values": ["password: another"]}),
        resource("kubernetes_config_map_v1.bridge", ["delete", "create"]),
        resource("aws_iam_policy_document.trust", ["read"]),
        resource("aws_s3_bucket.logs", ["update"]),
    ]
    plan["output_changes"]["endpoint"] = {"actions": ["create"], "before": None, "after": "https://new"}
    found = differences(REVIEWED, plan)
    assert found == [
        "aws_eks_access_entry.ci is no longer changed (reviewed: create)",
        "aws_s3_bucket.logs is new (update)",
        "helm_release.flux would update with other values",
        "kubernetes_config_map_v1.bridge is new (replace)",
        "output.endpoint would create with other values",
    ]
    assert SECRET not in " ".join(found) and "another" not in " ".join(found)


def test_an_update_that_became_a_replacement_is_named() -> None:
    plan = replanned()
    plan["resource_changes"][1] = resource("helm_release.flux", ["create", "delete"], {"values": [SECRET]})
    assert differences(REVIEWED, plan) == ["helm_release.flux would replace (reviewed: update)"]


def test_the_line_names_the_first_three_differences_and_counts_the_rest() -> None:
    found = [f"aws_route.r{index} is new (create)" for index in range(5)]
    assert one_line("dev-platform", ["dev-cluster", "dev-data"], found) == (
        "dev-platform: after dev-cluster, dev-data was applied, its plan differs from the reviewed one: "
        "aws_route.r0 is new (create); aws_route.r1 is new (create); aws_route.r2 is new (create); and 2 more. "
        "Nothing of dev-platform was applied; re-run all jobs of this run to plan, review and apply it."
    )
