"""Provenance: every value of the bridge ConfigMap comes from where stacks/bridge.py says
it does — a stack reference into the producing stack's outputs, a resource of the
platform stack itself, or the environment file — never a literal typed into the
platform stack (a hard-coded `vpc_id` would pass every other test and point Flux at
the wrong VPC after the next re-create)."""

from __future__ import annotations

from collections.abc import Iterator

from stacks import bridge
from system.facts import SystemFacts, Violation
from system.terraform import is_reference, referenced, remote_stack, resources

INVARIANT = "provenance"


def check(facts: SystemFacts) -> Iterator[Violation]:
    platform = facts.stack("platform")
    where = facts.stack_name("platform")
    maps = [
        body
        for body in resources(platform, "kubernetes_config_map_v1").values()
        if body.get("metadata", {}).get("name") == bridge.NAME
    ]
    if len(maps) != 1:
        yield Violation(INVARIANT, where, f"expected one ConfigMap {bridge.NAME}, found {len(maps)}")
        return
    data = maps[0].get("data", {})
    for key, contract in bridge.CONTRACT.items():
        value = data.get(key)
        if value is None:
            yield Violation(INVARIANT, f"{where}: {bridge.NAME}.{key}", "missing")
            continue
        problem = _problem(facts, contract.producer, value)
        if problem:
            yield Violation(INVARIANT, f"{where}: {bridge.NAME}.{key}", problem)


def _problem(facts: SystemFacts, producer: str, value: object) -> str | None:
    platform = facts.stack("platform")
    if producer == "config":
        return None if not is_reference(value) else f"comes from {value}, but the contract says the environment file"
    if producer == "platform":
        if referenced(platform, value) is not None:
            return None
        return f"is {value!r}, not a resource of {facts.stack_name('platform')} (the contract's producer)"
    stack = facts.stack_name(producer)
    if remote_stack(value) == stack:
        return None
    return f"is {value!r}, not read from {stack}'s outputs (the contract's producer)"
