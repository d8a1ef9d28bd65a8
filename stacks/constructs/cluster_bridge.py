"""Writes the bridge ConfigMap (see stacks/bridge.py) into the cluster."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from constructs import Construct

from stacks import bridge
from stacks.bindings import kubernetes

# kustomize-controller reconciles the Kustomizations that substitute from a ConfigMap as
# soon as it changes only if the ConfigMap carries this label (its default
# --watch-configs-label-selector, since kustomize-controller v1.7 / Flux v2.7); without
# it a new bridge value reaches the cluster at the Kustomizations' next interval.
# https://fluxcd.io/flux/components/kustomize/kustomizations/#reacting-immediately-to-configuration-dependencies
WATCH_LABEL: Final = ("reconcile.fluxcd.io/watch", "Enabled")


class ClusterBridge(Construct):
    def __init__(self, scope: Construct, id_: str, *, values: Mapping[str, str], namespace: str) -> None:
        super().__init__(scope, id_)
        if set(values) != set(bridge.CONTRACT):
            missing, extra = set(bridge.CONTRACT) - set(values), set(values) - set(bridge.CONTRACT)
            raise ValueError(f"bridge values do not match the contract: missing {missing}, extra {extra}")
        self.config_map = kubernetes.config_map_v1.ConfigMapV1(
            self,
            "config-map",
            metadata={
                "name": bridge.NAME,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "terraform", WATCH_LABEL[0]: WATCH_LABEL[1]},
            },
            data=dict(values),
        )
