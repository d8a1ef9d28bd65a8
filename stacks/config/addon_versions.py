"""The version of every EKS add-on, per Kubernetes minor: reviewed data, not a plan-time lookup.

A `data.aws_eks_addon_version` lookup made the plan change whenever AWS changed a default,
and the next deploy upgraded add-ons nobody had reviewed. Here a version moves only by a
commit: bumping `cluster.kubernetes_version` selects another row, so the plan of that
commit shows the control plane, the node groups and these add-ons, and nothing else
(tests/stacks/test_kubernetes_upgrade.py).

Adding or refreshing a row (docs/runbooks/upgrade-kubernetes.md): for each add-on, list
what EKS offers for the minor (AWS's own default is marked True)

    aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name vpc-cni
        --query 'addons[0].addonVersions[].[addonVersion, compatibilities[0].defaultVersion]'
        --output text

take the newest, and set `checked` to that day. A version EKS does not offer for the
minor fails `terraform apply` of the cluster stack (EKS rejects it); nothing is installed
silently.

Where each version was read on the day in `checked` (without an AWS account, so not yet
through the command above: run it before the first apply that uses a row, and never
merge a row older than what `aws eks describe-addon` reports as installed):
- kube-proxy, coredns: the Amazon EKS User Guide's tables of the latest add-on version per
  Kubernetes version ("Manage kube-proxy", "Manage CoreDNS"). Newer eksbuilds exist.
- vpc-cni, eks-pod-identity-agent, aws-ebs-csi-driver, metrics-server: the guide has no
  per-minor table for them; each is a version public EKS configurations of 2026 pinned
  (or reported as AWS's default) for exactly that minor.
- kube-state-metrics (a community add-on, namespace kube-state-metrics: the guide's
  "Community add-ons" page) and amazon-cloudwatch-observability (Pod Identity from
  v3.1.0, CloudWatch user guide): the newest builds public configurations of 2026 pinned,
  v2.17.0-eksbuild.3 and v6.4.0-eksbuild.1 (the latter for 1.34); neither was checked per
  minor. Installed only where `observability.enabled` (core_addons.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AddonVersions:
    """The add-on versions of one Kubernetes minor, and when they were last checked."""

    checked: date
    versions: Mapping[str, str]  # add-on name → `v<version>-eksbuild.<n>`


ADDON_VERSIONS: Mapping[str, AddonVersions] = {
    "1.35": AddonVersions(
        checked=date(2026, 11, 27),
        versions={
            "vpc-cni": "v1.23.1-eksbuild.1",
            "kube-proxy": "v1.35.3-eksbuild.13",
            "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
            "coredns": "v1.14.3-eksbuild.3",
            "aws-ebs-csi-driver": "v1.66.0-eksbuild.1",
            "metrics-server": "v0.8.1-eksbuild.10",
            "kube-state-metrics": "v2.17.0-eksbuild.3",
            "amazon-cloudwatch-observability": "v6.4.0-eksbuild.1",
        },
    ),
    "1.34": AddonVersions(
        checked=date(2026, 11, 27),
        versions={
            "vpc-cni": "v1.23.1-eksbuild.1",
            "kube-proxy": "v1.34.6-eksbuild.13",
            "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
            "coredns": "v1.13.2-eksbuild.11",
            "aws-ebs-csi-driver": "v1.65.0-eksbuild.2",
            "metrics-server": "v0.8.1-eksbuild.4",
            "kube-state-metrics": "v2.17.0-eksbuild.3",
            "amazon-cloudwatch-observability": "v6.4.0-eksbuild.1",
        },
    ),
}


def supported_minors() -> list[str]:
    """The Kubernetes minors with a row, oldest first."""
    return sorted(ADDON_VERSIONS, key=lambda minor: tuple(int(part) for part in minor.split(".")))


def addon_versions(kubernetes_version: str) -> AddonVersions:
    """The row of `kubernetes_version`; KeyError naming the supported minors if there is none."""
    try:
        return ADDON_VERSIONS[kubernetes_version]
    except KeyError:
        raise KeyError(
            f"no EKS add-on versions for Kubernetes {kubernetes_version} "
            f"(stacks/config/addon_versions.py has {', '.join(supported_minors())})"
        ) from None
