"""`<env>-cluster`: the EKS control plane, its node groups and core add-ons.

With `observability.enabled` also the EKS add-ons that collect from inside the cluster
(kube-state-metrics, Container Insights with Fluent Bit) and the log groups they write to:
they are EKS add-ons like the others here, and the add-on waits for its log groups.
"""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws
from stacks.config import Environment
from stacks.config.addon_versions import addon_versions
from stacks.constructs.ci_runner import CiRunner
from stacks.constructs.core_addons import CoreAddons
from stacks.constructs.eks_cluster import ClusterOutputs, EksCluster
from stacks.constructs.network import NetworkOutputs
from stacks.constructs.node_group import ManagedNodeGroup
from stacks.constructs.observability.container_insights import ContainerInsightsLogs
from stacks.environment_stack import EnvironmentStack, required_tags
from stacks.naming import ci_role_arn, ci_runner_name, cluster_name, github_connection_name


class ClusterStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment, network: NetworkOutputs) -> None:
        super().__init__(scope, "cluster", env=env)
        name = cluster_name(env)
        cluster = EksCluster(
            self,
            "eks",
            name=name,
            kubernetes_version=env.cluster.kubernetes_version,
            subnet_ids=network.private_subnet_ids,
            public_access_cidrs=[str(cidr) for cidr in env.cluster.public_access_cidrs],
            admin_principal_arns=env.cluster.admin_principal_arns,
            deploy_role_arn=ci_role_arn(
                account_id=env.account_id, project=env.project, environment=env.name, role="deploy"
            ),
            plan_role_arn=ci_role_arn(
                account_id=env.account_id, project=env.project, environment=env.name, role="plan"
            ),
            log_retention_days=env.cluster.log_retention_days,
            account_id=env.account_id,
            region=env.region,
        )
        addons = CoreAddons(
            self,
            "addons",
            cluster=cluster.outputs,
            versions=addon_versions(env.cluster.kubernetes_version),
            role_prefix=name,
            account_id=env.account_id,
            observability=env.observability.enabled,
        )
        node_groups = [
            ManagedNodeGroup(
                self,
                f"nodes-{spec.name}",
                cluster_name=cluster.outputs.name,
                kubernetes_version=env.cluster.kubernetes_version,
                spec=spec,
                subnet_ids=network.private_subnet_ids,
                account_id=env.account_id,
                instance_tags=required_tags(env),
                depends_on=addons.before_nodes,
            ).node_group
            for spec in env.cluster.node_groups
        ]
        container_logs = (
            ContainerInsightsLogs(
                self,
                "container-insights",
                cluster_name=name,
                retention_days=env.observability.log_retention_days,
                account_id=env.account_id,
                region=env.region,
            ).log_groups
            if env.observability.enabled
            else []
        )
        addons.add_after_nodes(node_groups, container_log_groups=container_logs)
        self.outputs: ClusterOutputs = cluster.outputs
        self.output("cluster_name", cluster.outputs.name, "EKS cluster name")
        self.output("cluster_endpoint", cluster.outputs.endpoint, "Kubernetes API endpoint")
        # The bootstrap stack (local state) creates the connection: found by name.
        connection = aws.data_aws_codestarconnections_connection.DataAwsCodestarconnectionsConnection(
            self, "github-connection", name=github_connection_name(env)
        )
        runner = CiRunner(
            self,
            "ci-runner",
            name=ci_runner_name(env),
            repository_url=env.repository,
            connection_arn=connection.arn,
            vpc_id=network.vpc_id,
            subnet_ids=network.private_subnet_ids,
            cluster_security_group_id=cluster.outputs.security_group_id,
            log_retention_days=env.cluster.log_retention_days,
            account_id=env.account_id,
            region=env.region,
        )
        self.output("ci_runner_project", runner.project.name, "CodeBuild project of the in-VPC GitHub Actions runner")
        self.output("ci_runner_security_group_id", runner.security_group.id, "Security group of the CI runner")
