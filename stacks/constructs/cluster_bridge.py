"""Writes the bridge ConfigMap (see stacks/bridge.py) into the cluster."""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from stacks import bridge
from stacks.bindings import kubernetes


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
                "labels": {"app.kubernetes.io/managed-by": "terraform"},
            },
            data=dict(values),
        )
