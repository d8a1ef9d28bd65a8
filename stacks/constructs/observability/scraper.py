"""The AMP managed collector for one cluster: ENIs in the private subnets with a security
group of their own, let out to the cluster security group (which the control plane, the
nodes and so every pod use) only on the ports it scrapes, and admitted there on exactly
those; samples written through the roles scraper_policy.py describes.

Access to the Kubernetes API: with the cluster's authentication mode API (eks_cluster.py),
AMP creates the scraper role's access entry itself when the scraper is created; an entry
made here as well would fail the apply, one entry per principal, and the ClusterRole
AWS documents is only for clusters on the aws-auth ConfigMap
(https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup).
The system model's identity invariant holds both (system/identity.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import ServiceRole, policy_document
from stacks.constructs.observability import scraper_policy
from stacks.constructs.observability.prometheus import WorkspaceOutputs
from stacks.constructs.observability.scrape_config import scrape_configuration_yaml, scrape_ports


class ManagedScraper(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        cluster_arn: str,
        cluster_security_group_id: str,
        vpc_id: str,
        subnet_ids: Sequence[str],
        workspace: WorkspaceOutputs,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        self.security_group = aws.security_group.SecurityGroup(
            self,
            "security-group",
            name=f"{name}-amp-scraper",
            vpc_id=vpc_id,
            description=f"AMP managed collector of {name}: out to the cluster's metrics ports only",
        )
        for port in scrape_ports():
            aws.vpc_security_group_egress_rule.VpcSecurityGroupEgressRule(
                self,
                f"to-cluster-{port}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=cluster_security_group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"Scrape the cluster on {port}",
            )
            aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
                self,
                f"into-cluster-{port}",
                security_group_id=cluster_security_group_id,
                referenced_security_group_id=self.security_group.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"AMP managed collector scrapes on {port}",
            )
        target_name = f"{name}-amp-writer"
        target_arn = f"arn:aws:iam::{account_id}:role/{target_name}"
        source = ServiceRole(
            self,
            "source-role",
            name=f"{name}-amp-scraper",
            trust=scraper_policy.source_trust(account_id=account_id, region=region),
            inline_policy=policy_document(
                self, "source-policy", scraper_policy.source_statements(target_role_arn=target_arn)
            ),
        )
        target = ServiceRole(
            self,
            "target-role",
            name=target_name,
            trust=scraper_policy.target_trust(source_role_arn=source.arn, account_id=account_id, region=region),
            inline_policy=policy_document(
                self,
                "target-policy",
                scraper_policy.target_statements(workspace_arn=workspace.arn, key_arn=workspace.key_arn, region=region),
            ),
        )
        self.scraper = aws.prometheus_scraper.PrometheusScraper(
            self,
            "scraper",
            alias=f"{name}-eks",
            source=[
                aws.prometheus_scraper.PrometheusScraperSource(
                    eks=[
                        aws.prometheus_scraper.PrometheusScraperSourceEks(
                            cluster_arn=cluster_arn,
                            subnet_ids=list(subnet_ids),
                            security_group_ids=[self.security_group.id],
                        )
                    ]
                )
            ],
            destination=[
                aws.prometheus_scraper.PrometheusScraperDestination(
                    amp=[aws.prometheus_scraper.PrometheusScraperDestinationAmp(workspace_arn=workspace.arn)]
                )
            ],
            role_configuration=[
                aws.prometheus_scraper.PrometheusScraperRoleConfiguration(
                    source_role_arn=source.arn, target_role_arn=target.arn
                )
            ],
            scrape_configuration=scrape_configuration_yaml(),
            depends_on=[policy for policy in (source.inline_policy, target.inline_policy) if policy is not None],
        )
