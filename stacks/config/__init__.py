"""Environment configuration: YAML in `environments/`, validated into frozen models."""

from stacks.config.loader import ConfigError, load_environment, load_environments, selected_names
from stacks.config.model import Environment
from stacks.config.subnets import SubnetPlan, plan_subnets

__all__ = [
    "ConfigError",
    "Environment",
    "SubnetPlan",
    "load_environment",
    "load_environments",
    "plan_subnets",
    "selected_names",
]
