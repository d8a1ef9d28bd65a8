"""How the platform controllers' containers run: sized, and under the restricted Pod Security
Standard as their image's own non-root user.

Each add-on puts these where its chart reads them, beside its own sizing and image user;
what a chart cannot be told (a probe it has no value for, a digest, a NetworkPolicy) is
accepted with its reason in policy/suppressions.yaml.
https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resources:
    """CPU and memory requests for scheduling and a memory limit against leaks.

    No CPU limit, as for the app: CFS quotas throttle a controller (and its admission
    webhook) even on an idle node (policy/suppressions.yaml, CKV_K8S_11)."""

    cpu: str
    memory: str
    memory_limit: str

    def values(self) -> dict[str, Any]:
        return {"requests": {"cpu": self.cpu, "memory": self.memory}, "limits": {"memory": self.memory_limit}}


def container_security_context(*, user: int) -> dict[str, Any]:
    """A container's context: no privilege, no capability, no writable root, the image's user."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context(*, user: int) -> dict[str, Any]:
    """A pod's context: the image's user, whose group also owns the volumes the chart mounts
    (webhook certificates, scratch space)."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
