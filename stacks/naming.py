"""Physical names, derived in one place: `{project}-{environment}-{part}`.

Construct ids never change; physical names come from here, so renaming a project or an
environment is one config change and every name follows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

# Only a type here: the config checks use the CI role names below, and stacks.config
# imports its checks while it loads.
if TYPE_CHECKING:
    from stacks.config import Environment


# The stacks of one environment, in deploy order: each after the stacks it reads. The app
# builds them (stacks/app.py); the workflows plan and deploy them in this order
# (stacks/ci_environments.py), so this list is readable without the provider bindings.
STACK_PARTS = ("bootstrap", "network", "cluster", "data", "platform", "pipeline")
# Applied by hand (docs/runbooks/first-deploy.md): it creates the roles the workflows assume.
HAND_APPLIED_PARTS = ("bootstrap",)
# Parts whose Helm and Kubernetes providers call the cluster API, which only the
# environment's in-VPC runner reaches (ci_runner_name); a workflow test compares this
# with the providers of the synthesized stacks.
CLUSTER_API_PARTS = ("platform",)


def physical_name(env: Environment, *parts: str) -> str:
    """`{project}-{env}` followed by `parts`."""
    return "-".join((env.project, env.name, *parts))


def secrets_prefix(env: Environment) -> str:
    """`{project}/{env}/`: the environment's secrets in Secrets Manager, which External Secrets may read."""
    return f"{env.project}/{env.name}/"


def secret_name(env: Environment, *parts: str) -> str:
    """A Secrets Manager name under `secrets_prefix`, `/`-separated like the ECR repositories."""
    return secrets_prefix(env) + "/".join(parts)


def cluster_name(env: Environment) -> str:
    return physical_name(env, "eks")


def rotation_function_name(env: Environment) -> str:
    """The app credential's rotation function: made by the data stack, watched by the
    platform stack's alarms and dashboard, which derive the name instead of reading it."""
    return physical_name(env, "app-credential-rotation")


def stack_id(env: Environment, part: str) -> str:
    """Stack ids double as Terraform state names and `cdktf deploy` targets."""
    return f"{env.name}-{part}"


CiRole = Literal["plan", "deploy"]


def ci_role_name(*, project: str, environment: str, role: CiRole) -> str:
    """The role GitHub Actions assumes to plan or deploy an environment.

    One name for everyone who needs it: the bootstrap stack creates the role, the cluster
    gives it an access entry, the config check keeps it out of cluster.admin_principal_arns.
    """
    return "-".join((project, environment, "github", role))


def ci_role_arn(*, account_id: str, project: str, environment: str, role: CiRole) -> str:
    return f"arn:aws:iam::{account_id}:role/{ci_role_name(project=project, environment=environment, role=role)}"


def deploy_boundary_name(env: Environment) -> str:
    """The permissions boundary of the deploy role and of every role it creates."""
    return physical_name(env, "deploy-boundary")


def deploy_boundary_arn(env: Environment) -> str:
    # A customer-managed policy at the default path "/".
    return f"arn:aws:iam::{env.account_id}:policy/{deploy_boundary_name(env)}"


# CreateConnection accepts names of 1 to 32 characters
# (https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_CreateConnection.html).
CONNECTION_NAME_MAX = 32


def github_connection_name(env: Environment) -> str:
    """The one GitHub connection of an environment: created by bootstrap, looked up by name elsewhere."""
    name = physical_name(env, "github")
    if len(name) > CONNECTION_NAME_MAX:
        raise ValueError(
            f"GitHub connection name {name!r} is longer than {CONNECTION_NAME_MAX} characters; "
            "shorten the project or environment name"
        )
    return name


def ci_runner_name(env: Environment) -> str:
    """CodeBuild project of the in-VPC GitHub Actions runner; workflows name it in `runs-on`."""
    return physical_name(env, "ci-runner")
