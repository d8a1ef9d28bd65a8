"""The manual steps of docs/runbooks/first-deploy.md that put something into the system,
each marked required or optional. The readiness invariant simulates the first reconcile
with and without them: nothing on the app path may wait for an optional one.
"""

from __future__ import annotations

from dataclasses import dataclass

from system.facts import SystemFacts


@dataclass(frozen=True)
class ManualStep:
    name: str
    required: bool
    remote_secrets: frozenset[str] = frozenset()  # Secrets Manager values it puts
    secrets: frozenset[tuple[str, str]] = frozenset()  # Kubernetes Secrets (namespace, name) it creates


def manual_steps(facts: SystemFacts) -> list[ManualStep]:
    prefix = facts.bridge_values.get("secrets_prefix", "")
    steps = [
        ManualStep(
            name="GitHub webhook token into Secrets Manager",
            required=False,
            remote_secrets=frozenset({f"{prefix}flux-webhook-token"}),
        )
    ]
    sync = facts.flux_instance_values.get("instance", {}).get("sync", {})
    if sync.get("pullSecret"):
        steps.append(
            ManualStep(
                name="Flux Git credential",
                required=True,
                secrets=frozenset({("flux-system", str(sync["pullSecret"]))}),
            )
        )
    return steps


def terraform_remote_secrets(facts: SystemFacts) -> frozenset[str]:
    """Secrets Manager values that exist once Terraform has run (RDS writes its own)."""
    return frozenset({facts.bridge_values.get("db_secret_arn", "")} - {""})
