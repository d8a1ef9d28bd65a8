"""The base of every stack: providers, state backend and tags are attached here and only here."""

from __future__ import annotations

from cdktf import Aspects, Fn, LocalBackend, S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from stacks.bindings import aws, helm, kubernetes
from stacks.config import Environment
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.iam import PermissionsBoundary
from stacks.naming import deploy_boundary_arn, stack_id

# S3-native state locking (`use_lockfile`) arrived in Terraform 1.10.
REQUIRED_TERRAFORM = ">= 1.10"
# cdktf runs Terraform in cdktf.out/stacks/<stack>/: three levels below the project root.
PROJECT_ROOT_FROM_STACK_DIR = "../../.."


def required_tags(env: Environment) -> dict[str, str]:
    """Tags on every taggable resource (via the provider's default_tags)."""
    return {
        **env.tags,
        "Project": env.project,
        "Environment": env.name,
        "ManagedBy": "cdktf",
        "Repository": env.repository,
    }


class EnvironmentStack(TerraformStack):
    """One Terraform state of one environment, named `<env>-<part>`.

    `bootstrap`: the stack that creates the state bucket and the deploy role's boundary,
    applied by hand; it keeps local state and its roles are not bounded by that boundary.
    """

    def __init__(self, scope: Construct, part: str, *, env: Environment, bootstrap: bool = False) -> None:
        super().__init__(scope, stack_id(env, part))
        self.env = env
        aws.provider.AwsProvider(
            self,
            "aws",
            region=env.region,
            # A mistyped profile can never apply dev to the production account.
            allowed_account_ids=[env.account_id],
            default_tags=[aws.provider.AwsProviderDefaultTags(tags=required_tags(env))],
        )
        self.add_override("terraform.required_version", REQUIRED_TERRAFORM)
        if bootstrap:
            # A relative path: cdktf's default is an absolute one of the machine that ran the
            # synth. The file still lands at the project root, as terraform.<stack>.tfstate.
            LocalBackend(self, path=f"{PROJECT_ROOT_FROM_STACK_DIR}/terraform.{stack_id(env, part)}.tfstate")
        else:
            S3Backend(
                self,
                bucket=env.state.bucket,
                key=f"{env.name}/{part}.tfstate",
                region=env.state.region or env.region,
                encrypt=True,
                # Without a key the backend asks for SSE-S3, whatever the bucket's default is.
                kms_key_id=env.state.kms_key_arn,
            )
            # S3-native locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend predates the option.
            self.add_override("terraform.backend.s3.use_lockfile", True)
            # The deploy role may create roles only under its own boundary (deploy_boundary.py).
            Aspects.of(self).add(PermissionsBoundary(deploy_boundary_arn(env)))

    def connect_to_cluster(self, cluster: ClusterOutputs) -> None:
        """Helm and Kubernetes providers for a cluster created by an earlier stack.

        Credentials come from `aws eks get-token` at every provider call: short-lived,
        never stored. (The `aws_eks_cluster_auth` data source would put a token into
        the state file and expire during a long apply.)
        """
        token = {
            "api_version": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": [
                "eks",
                "get-token",
                "--cluster-name",
                cluster.name,
                "--region",
                self.env.region,
                "--output",
                "json",
            ],
        }
        endpoint = {"host": cluster.endpoint, "cluster_ca_certificate": Fn.base64decode(cluster.certificate_authority)}
        helm.provider.HelmProvider(
            self, "helm", kubernetes=helm.provider.HelmProviderKubernetes(**endpoint, exec=token)
        )
        kubernetes.provider.KubernetesProvider(
            self, "kubernetes", **endpoint, exec=[kubernetes.provider.KubernetesProviderExec(**token)]
        )

    def output(self, name: str, value: object, description: str) -> None:
        TerraformOutput(self, name, value=value, description=description)
