"""The manual steps of docs/runbooks/first-deploy.md that put something into the system,
each marked required or optional. The readiness invariant simulates the first reconcile
with and without them: nothing on the app path may wait for an optional one.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks import bridge
from system.facts import SystemFacts
from system.terraform import referenced, remote_output, resources


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
        ),
        ManualStep(
            name="GitHub commit status credential into Secrets Manager",
            required=False,
            remote_secrets=frozenset({f"{prefix}flux-github-status-token"}),
        ),
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
    """Secrets Manager values that exist once Terraform has run, with no manual step.

    The app's database credential (`db_secret_arn`) is created empty; its first value comes
    from the rotation Terraform starts with `rotate_immediately`, which creates the app's
    role and puts the value. So it counts only where the stack that creates the secret
    also starts that rotation (or puts a version, or the secret is one RDS writes itself):
    otherwise the app's ExternalSecret would wait for it forever.
    """
    arn = facts.bridge_values.get("db_secret_arn", "")
    return frozenset({arn}) if arn and _filled_by_terraform(facts, "db_secret_arn") else frozenset()


def _filled_by_terraform(facts: SystemFacts, key: str) -> bool:
    found = remote_output(facts.stacks, _bridge_data(facts).get(key))
    if found is None:
        return False
    document = facts.stacks[found[0]]
    target = referenced(document, found[1])
    if target is None:
        return False
    kind, secret, attribute = target
    if kind == "aws_db_instance":
        return attribute.startswith("master_user_secret")  # RDS writes the master secret itself
    if kind != "aws_secretsmanager_secret":
        return False
    for body in resources(document, "aws_secretsmanager_secret_version").values():
        named = referenced(document, body.get("secret_id"))
        if named is not None and named[1] is secret:
            return True
    for body in resources(document, "aws_secretsmanager_secret_rotation").values():
        named = referenced(document, body.get("secret_id"))
        # rotate_immediately defaults to true in the AWS provider.
        if named is not None and named[1] is secret and body.get("rotate_immediately", True) is not False:
            return bool(body.get("rotation_lambda_arn"))
    return False


def _bridge_data(facts: SystemFacts) -> dict[str, object]:
    """The bridge ConfigMap's data as synthesized (expressions, not the offline stand-ins)."""
    for body in resources(facts.stack("platform"), "kubernetes_config_map_v1").values():
        if body.get("metadata", {}).get("name") == bridge.NAME:
            return dict(body.get("data", {}))
    return {}
