"""Physical names, derived in one place: `{project}-{environment}-{part}`.

Construct ids never change; physical names come from here, so renaming a project or an
environment is one config change and every name follows.
"""

from __future__ import annotations

from stacks.config import Environment


def physical_name(env: Environment, *parts: str) -> str:
    """`{project}-{env}` followed by `parts`."""
    return "-".join((env.project, env.name, *parts))


def cluster_name(env: Environment) -> str:
    return physical_name(env, "eks")


def stack_id(env: Environment, part: str) -> str:
    """Stack ids double as Terraform state names and `cdktf deploy` targets."""
    return f"{env.name}-{part}"
