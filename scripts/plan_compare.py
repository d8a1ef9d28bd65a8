"""Does a new plan change the same things as the reviewed one?

A stack's plan reads the outputs of the stacks it depends on (remote state) when it is
made. The deploy workflow plans every stack before anything is applied, so once an
upstream stack has been applied, a downstream stack's saved plan may rest on outputs that
are gone. The deploy step then plans that stack again and compares: the same changes →
the reviewed plan is applied; any difference → nothing is applied and a new run must be
reviewed. Both plans are `terraform show -json` documents
(https://developer.hashicorp.com/terraform/internals/json-format).

Standard library only: it runs on the in-VPC runner's own python3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Actions that change nothing: data sources read during apply, and resources left alone.
UNCHANGED = (["no-op"], ["read"])
SHOWN = 3  # addresses named in the one line; the rest are counted


def changes(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What a plan would change, by address (outputs as `output.<name>`).

    For each: the actions, and the values before and after (with what is unknown until
    apply). Everything else in the document (prior state, drift, timestamps,
    configuration) is not a change and is left out.
    """
    found: dict[str, dict[str, Any]] = {}
    for resource in plan.get("resource_changes") or []:
        change = resource["change"]
        if change["actions"] in UNCHANGED:
            continue
        found[resource["address"]] = _change(change)
    for name, change in (plan.get("output_changes") or {}).items():
        if change["actions"] not in UNCHANGED:
            found[f"output.{name}"] = _change(change)
    return found


def _change(change: Mapping[str, Any]) -> dict[str, Any]:
    return {key: change.get(key) for key in ("actions", "before", "after", "after_unknown", "replace_paths")}


def differences(reviewed: Mapping[str, Any], replanned: Mapping[str, Any]) -> list[str]:
    """One phrase per address whose change differs, in address order; empty when the two agree.

    Values are never named: a plan may hold values nobody should read in a log.
    """
    before, after = changes(reviewed), changes(replanned)
    found = []
    for address in sorted(set(before) | set(after)):
        old, new = before.get(address), after.get(address)
        if old == new:
            continue
        if old is None:
            found.append(f"{address} is new ({_verb(new)})")
        elif new is None:
            found.append(f"{address} is no longer changed (reviewed: {_verb(old)})")
        elif old["actions"] != new["actions"]:
            found.append(f"{address} would {_verb(new)} (reviewed: {_verb(old)})")
        else:
            found.append(f"{address} would {_verb(new)} with other values")
    return found


def _verb(change: Mapping[str, Any] | None) -> str:
    actions = list((change or {}).get("actions") or [])
    if "create" in actions and "delete" in actions:
        return "replace"
    return {"create": "create", "update": "update", "delete": "delete"}.get(actions[0] if actions else "", "no-op")


def one_line(stack: str, applied: list[str], found: list[str]) -> str:
    """The line the deploy step stops with when the plans differ."""
    shown = "; ".join(found[:SHOWN]) + (f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else "")
    return (
        f"{stack}: after {', '.join(applied)} was applied, its plan differs from the reviewed one: {shown}. "
        f"Nothing of {stack} was applied; re-run all jobs of this run to plan, review and apply it."
    )
