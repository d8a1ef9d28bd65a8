"""Readiness: simulate the first reconcile from what Terraform creates plus the runbook's
manual steps, walking the Flux Kustomizations as kustomize-controller does (an object
is applied once every `dependsOn` is Ready; with `wait` a Kustomization is Ready only
when all its objects are). Report every object that can never become Ready, and every
Kustomization on the app path that waits for an optional manual step.

What Terraform creates includes values it never sees: the app's database credential is
an empty secret whose first value the rotation Terraform starts puts (manual_steps.py,
`terraform_remote_secrets`), so the app's ExternalSecret waits on that first rotation,
not on a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from render.cluster import RenderedObject
from system.facts import SystemFacts, Violation
from system.manual_steps import ManualStep, manual_steps, terraform_remote_secrets

INVARIANT = "readiness"
ROOT = ("flux-system", "flux-system")  # the Kustomization the FluxInstance creates


@dataclass
class Outcome:
    ready: dict[str, bool] = field(default_factory=dict)  # object → Ready
    reasons: dict[str, str] = field(default_factory=dict)  # object → why not


@dataclass
class _World:
    """What one simulated reconcile knows so far."""

    facts: SystemFacts
    owned: dict[tuple[str, str, str], list[dict[str, Any]]]  # applier → the objects it applies
    ready_k: dict[tuple[str, str], bool]  # Kustomization → Ready
    remote: set[str]  # Secrets Manager values that exist
    secrets: set[tuple[str, str]]  # Kubernetes Secrets that exist
    outcome: Outcome


def check(facts: SystemFacts) -> Iterator[Violation]:
    steps = manual_steps(facts)
    everything = simulate(facts, steps)
    for key, ready in sorted(everything.ready.items()):
        if not ready:
            yield Violation(INVARIANT, f"{facts.env.name}: {key}", f"can never become Ready: {everything.reasons[key]}")
    required = [s for s in steps if s.required]
    first = simulate(facts, required)
    optional = [s for s in steps if not s.required]
    for key in app_path(facts):
        if first.ready.get(key) or not everything.ready.get(key):
            continue
        blocking = [s.name for s in optional if not simulate(facts, [t for t in steps if t != s]).ready.get(key)]
        yield Violation(
            INVARIANT,
            f"{facts.env.name}: {key}",
            f"is on the app path but waits for the optional manual step(s) {', '.join(repr(b) for b in blocking)}",
        )


def _key(body: dict[str, Any]) -> str:
    metadata = body.get("metadata", {})
    namespace = metadata.get("namespace")
    return f"{body.get('kind')} {namespace + '/' if namespace else ''}{metadata.get('name')}"


def _kustomizations(facts: SystemFacts) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (o.body["metadata"].get("namespace", "flux-system"), o.body["metadata"]["name"]): o.body
        for o in facts.cluster.objects
        if o.body.get("kind") == "Kustomization" and str(o.body.get("apiVersion", "")).startswith("kustomize.toolkit")
    }


def _owner(facts: SystemFacts, obj: RenderedObject) -> tuple[str, str, str]:
    """Who applies the object: ("Kustomization", ns, name) or ("HelmRelease", ns, name)."""
    if obj.source == f"clusters/{facts.env.name}":
        return ("Kustomization", *ROOT)
    for kind in ("Kustomization", "HelmRelease"):
        marker = f"({kind} "
        if marker in obj.source:
            name = obj.source.split(marker, 1)[1].rstrip(")")
            namespace, _, short = name.rpartition("/")
            return (kind, namespace or "flux-system", short)
    return ("Kustomization", *ROOT)


def simulate(facts: SystemFacts, done: list[ManualStep]) -> Outcome:
    remote = set(terraform_remote_secrets(facts)).union(*(s.remote_secrets for s in done))
    secrets: set[tuple[str, str]] = set().union(*(s.secrets for s in done))
    kustomizations = _kustomizations(facts)
    owned: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for obj in facts.cluster.objects:
        owned.setdefault(_owner(facts, obj), []).append(obj.body)
    outcome = Outcome()
    ready_k: dict[tuple[str, str], bool] = {ROOT: False}
    world = _World(facts, owned, ready_k, remote, secrets, outcome)
    for _ in range(len(facts.cluster.objects) + len(kustomizations) + 2):
        changed = False
        for name in [ROOT, *kustomizations]:
            spec = kustomizations.get(name, {}).get("spec", {"wait": False})
            deps = [(d.get("namespace", name[0]), d["name"]) for d in spec.get("dependsOn", [])]
            applied = all(ready_k.get(d, False) for d in deps)
            objects = owned.get(("Kustomization", *name), []) if applied else []
            for body in objects:
                changed |= _evaluate(world, body)
            everything_ready = all(outcome.ready.get(_key(b), False) for b in objects)
            now = applied and (everything_ready or not spec.get("wait", False))
            if ready_k.get(name) != now:
                ready_k[name], changed = now, True
        if not changed:
            break
    for name, spec in kustomizations.items():
        key = _key(spec)
        outcome.ready[key] = ready_k.get(name, False)
        if not outcome.ready[key]:
            outcome.reasons[key] = _kustomization_reason(name, spec, ready_k, owned, outcome)
    return outcome


def _kustomization_reason(
    name: tuple[str, str],
    spec: dict[str, Any],
    ready_k: dict[tuple[str, str], bool],
    owned: dict[tuple[str, str, str], list[dict[str, Any]]],
    outcome: Outcome,
) -> str:
    waiting = [
        f"{d.get('namespace', name[0])}/{d['name']}"
        for d in spec.get("spec", {}).get("dependsOn", [])
        if not ready_k.get((d.get("namespace", name[0]), d["name"]), False)
    ]
    if waiting:
        return f"dependsOn {', '.join(waiting)}, which is not Ready"
    stuck = [_key(b) for b in owned.get(("Kustomization", *name), []) if not outcome.ready.get(_key(b), False)]
    return f"wait: true and {', '.join(stuck)} not Ready"


def _evaluate(world: _World, body: dict[str, Any]) -> bool:
    """Set the readiness of one applied object; True if anything changed."""
    key = _key(body)
    before = (world.outcome.ready.get(key), set(world.secrets))
    ready, reason = _object_ready(world, body)
    world.outcome.ready[key] = ready
    if reason:
        world.outcome.reasons[key] = reason
    return before != (ready, world.secrets)


def _object_ready(world: _World, body: dict[str, Any]) -> tuple[bool, str]:
    facts, outcome, secrets = world.facts, world.outcome, world.secrets
    kind = body.get("kind")
    metadata = body.get("metadata", {})
    namespace = str(metadata.get("namespace", ""))
    spec = body.get("spec", {})
    if kind == "Kustomization" and str(body.get("apiVersion", "")).startswith("kustomize.toolkit"):
        return world.ready_k.get((namespace or "flux-system", metadata["name"]), False), ""
    if kind == "ExternalSecret":
        store = spec.get("secretStoreRef", {})
        store_kind = store.get("kind", "SecretStore")
        store_key = f"{store_kind} {'' if store_kind == 'ClusterSecretStore' else namespace + '/'}{store.get('name')}"
        if not outcome.ready.get(store_key):
            return False, f"its store {store_key} is not applied before it (or does not exist)"
        keys = [d.get("remoteRef", {}).get("key") for d in spec.get("data", [])]
        keys += [d.get("extract", {}).get("key") for d in spec.get("dataFrom", []) if d.get("extract")]
        missing = sorted({str(k) for k in keys if k not in world.remote})
        if missing:
            return False, (
                f"Secrets Manager value {', '.join(missing)} does not exist: no runbook step puts it "
                "and no Terraform resource fills it (a version, or a rotation started at once)"
            )
        secrets.add((namespace, str(spec.get("target", {}).get("name", metadata["name"]))))
        return True, ""
    if kind == "Receiver":
        secret = spec.get("secretRef", {}).get("name")
        return ((namespace, secret) in secrets, f"its Secret {namespace}/{secret} does not exist")
    if kind == "HelmRelease":
        rendered = world.owned.get(("HelmRelease", namespace, metadata["name"]), [])
        for child in rendered:
            if child.get("kind") == "ExternalSecret":
                ready, reason = _object_ready(world, child)
                if not ready:
                    return False, f"{_key(child)}: {reason}"
        for child in rendered:
            for secret in _mounted_secrets(child):
                if (child["metadata"].get("namespace", namespace), secret) not in secrets:
                    return False, f"{_key(child)} mounts Secret {secret}, which does not exist"
        return True, ""
    components = facts.flux_components
    if kind in ("ImageRepository", "ImagePolicy") and "image-reflector-controller" not in components:
        return False, "image-reflector-controller is not installed in this environment"
    if kind == "ImageUpdateAutomation":
        if "image-automation-controller" not in components:
            return False, "image-automation-controller is not installed in this environment"
        pull = facts.flux_instance_values.get("instance", {}).get("sync", {}).get("pullSecret")
        if not pull or ("flux-system", str(pull)) not in secrets:
            return False, "it pushes with the GitRepository's credential, and flux-system has none"
    return True, ""


def _mounted_secrets(body: dict[str, Any]) -> list[str]:
    spec = body.get("spec", {}).get("template", {}).get("spec", {})
    names = [v["secret"]["secretName"] for v in spec.get("volumes", []) if "secret" in v]
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        names += [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
        names += [
            e["valueFrom"]["secretKeyRef"]["name"]
            for e in container.get("env", [])
            if "secretKeyRef" in e.get("valueFrom", {})
        ]
    return names


def app_path(facts: SystemFacts) -> list[str]:
    """Kustomizations that apply a HelmRelease of this repository's charts, and what they depend on."""
    kustomizations = _kustomizations(facts)
    start = [
        _owner(facts, obj)[1:]
        for obj in facts.cluster.objects
        if obj.body.get("kind") == "HelmRelease"
        and str(obj.body.get("spec", {}).get("chart", {}).get("spec", {}).get("chart", "")).startswith("./charts/")
    ]
    seen: list[tuple[str, str]] = []
    pending = [name for name in start if name in kustomizations]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.append(name)
        for dependency in kustomizations[name].get("spec", {}).get("dependsOn", []):
            target = (dependency.get("namespace", name[0]), dependency["name"])
            if target in kustomizations:
                pending.append(target)
    return sorted(_key(kustomizations[name]) for name in seen)
