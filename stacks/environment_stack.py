"""The base of every stack: providers, state backend and tags are attached here and only here."""

from __future__ import annotations

from cdktf import Fn, S3Backend, TerraformOutput, TerraformStack
from constructs import Construct

from stacks.bindings import aws, helm, kubernetes
from stacks.config import Environment
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.naming import stack_id


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
    """One Terraform state of one environment, named `<env>-<part>`."""

    def __init__(self, scope: Construct, part: str, *, env: Environment, local_state: bool = False) -> None:
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
        if env.state.bucket and not local_state:
            S3Backend(
                self,
                bucket=env.state.bucket,
                key=f"{env.name}/{part}.tfstate",
                region=env.state.region or env.region,
                encrypt=True,
            )
            # S3-native locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend predates the option.
            self.add_override("terraform.backend.s3.use_lockfile", True)
        # Without a bucket (or for the stack that creates it), cdktf's default local backend
        # keeps terraform.<stack>.tfstate.

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
