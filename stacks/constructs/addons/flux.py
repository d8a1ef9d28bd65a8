"""Flux, installed by the Flux Operator and described by one FluxInstance.

The operator (rather than the flux2 community chart) manages the Flux controllers as a
whole: it upgrades them within the pinned minor version, applies the cluster-type
settings for AWS, and creates the GitRepository and Kustomization that sync
`clusters/<env>` — the same objects `flux bootstrap` would, without Terraform holding
a Git credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.config.model import GitCredential
from stacks.constructs.addons import image_reflector_policy
from stacks.constructs.addons.helm_addon import AddonProps, AwsIdentity, Chart

CHARTS_REPOSITORY = "oci://ghcr.io/controlplaneio-fluxcd/charts"
OPERATOR_CHART = Chart(repository=CHARTS_REPOSITORY, name="flux-operator", version="0.58.0")
INSTANCE_CHART = Chart(repository=CHARTS_REPOSITORY, name="flux-instance", version="0.58.0")
NAMESPACE = "flux-system"
DISTRIBUTION = "2.8.x"
CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
IMAGE_AUTOMATION = ("image-reflector-controller", "image-automation-controller")


def flux_operator(*, overrides: Mapping[str, Any]) -> AddonProps:
    return AddonProps(
        release="flux-operator",
        namespace=NAMESPACE,
        chart=OPERATOR_CHART,
        values={},
        overrides=overrides,
        create_namespace=False,
    )


def flux_instance(
    *,
    repository_url: str,
    branch: str,
    path: str,
    git_credential: GitCredential | None,
    image_repository_arn: str | None,
    overrides: Mapping[str, Any],
) -> AddonProps:
    """With `image_repository_arn`, the image controllers run too, and the
    image-reflector-controller reads that repository's tags from ECR as itself
    (ImageRepository `provider: aws`) through Pod Identity."""
    image_automation = image_repository_arn is not None
    sync: dict[str, Any] = {"kind": "GitRepository", "url": repository_url, "ref": f"refs/heads/{branch}", "path": path}
    if git_credential is not None:
        # Becomes the GitRepository's secretRef, which the image-automation-controller
        # also pushes with.
        sync["pullSecret"] = git_credential.secret_name
        if git_credential.type == "github-app":
            # Flux reads the Secret as a GitHub App only with `provider: github` (the
            # image-automation-controller refuses GitHub App data without it).
            # https://fluxcd.io/flux/components/source/gitrepositories/#github
            sync["provider"] = "github"
    values = {
        "instance": {
            "distribution": {"version": DISTRIBUTION, "registry": "ghcr.io/fluxcd"},
            "components": [*CONTROLLERS, *(IMAGE_AUTOMATION if image_automation else ())],
            "cluster": {"type": "aws", "size": "medium", "multitenant": False, "networkPolicy": True},
            "sync": sync,
        }
    }
    return AddonProps(
        release="flux",
        namespace=NAMESPACE,
        chart=INSTANCE_CHART,
        values=values,
        overrides=overrides,
        identity=AwsIdentity(
            service_account=image_reflector_policy.SERVICE_ACCOUNT,
            statements=image_reflector_policy.image_reflector_statements(repository_arn=image_repository_arn),
        )
        if image_repository_arn is not None
        else None,
        create_namespace=False,
    )
