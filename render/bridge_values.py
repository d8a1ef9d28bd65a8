"""The bridge ConfigMap's values for offline rendering, read from the synthesized platform stack.

Values Terraform knows only after deploy (they are `${…}` expressions in the synthesized
JSON) are replaced by the contract's stand-in of the same shape.
"""

from __future__ import annotations

from typing import Any

from stacks import bridge
from stacks.config import Environment


def bridge_values(platform_stack: dict[str, Any], env: Environment) -> dict[str, str]:
    [config_map] = platform_stack["resource"]["kubernetes_config_map_v1"].values()
    synthesized: dict[str, str] = config_map["data"]
    facts = {"project": env.project, "env": env.name, "region": env.region, "account_id": env.account_id}
    values = {}
    for key, entry in bridge.CONTRACT.items():
        value = synthesized[key]
        if "${" in value:
            if not entry.offline:
                raise ValueError(f"bridge key {key} is only known after deploy and has no offline stand-in")
            value = entry.offline.format(**facts)
        values[key] = value
    return values
