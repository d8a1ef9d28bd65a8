"""Everything the platform stack adds for `observability.enabled`, wired from typed inputs:
the AMP workspace, its managed collector (and the way through Flux's NetworkPolicies),
rules and Alertmanager, the alert topic with its e-mail subscriptions, CloudWatch alarms
and the dashboard. The cluster stack adds the in-cluster collectors (EKS add-ons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cdktf import Fn, Token
from constructs import Construct

from stacks.config.model import Observability
from stacks.constructs.observability.alarms import CloudWatchAlarms
from stacks.constructs.observability.alerts import PrometheusAlerts
from stacks.constructs.observability.dashboard import Dashboard
from stacks.constructs.observability.prometheus import PrometheusWorkspace
from stacks.constructs.observability.rules import rule_groups, rules_yaml
from stacks.constructs.observability.scrape_access import ScraperNetworkPolicy
from stacks.constructs.observability.scraper import ManagedScraper
from stacks.constructs.observability.topic import AlertTopic


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        spec: Observability,
        name: str,
        cluster_name: str,
        cluster_arn: str,
        cluster_security_group_id: str,
        vpc_id: str,
        private_subnet_ids: Sequence[str],
        private_subnet_cidrs: Sequence[str],
        flux_namespace: Any,
        flux_namespace_name: str,
        database_address: str,
        rotation_function_name: str,
        load_balancer_tags: Mapping[str, str],
        repository: str,
        branch: str,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        workspace = PrometheusWorkspace(
            self,
            "prometheus",
            alias=f"{name}-metrics",
            retention_days=spec.metrics_retention_days,
            log_retention_days=spec.log_retention_days,
            account_id=account_id,
            region=region,
        ).outputs
        self.scraper = ManagedScraper(
            self,
            "scraper",
            name=name,
            cluster_arn=cluster_arn,
            cluster_security_group_id=cluster_security_group_id,
            vpc_id=vpc_id,
            subnet_ids=private_subnet_ids,
            workspace=workspace,
            account_id=account_id,
            region=region,
        )
        ScraperNetworkPolicy(
            self,
            "flux-scraping",
            namespace=flux_namespace_name,
            scraper_cidrs=private_subnet_cidrs,
            depends_on=[flux_namespace],
        )
        topic = AlertTopic(
            self,
            "topic",
            name=f"{name}-alerts",
            emails=spec.alert_emails,
            workspace_arn=workspace.arn,
            account_id=account_id,
            region=region,
        )
        PrometheusAlerts(
            self,
            "alerts",
            workspace_id=workspace.id,
            rules=rules_yaml(rule_groups(spec.slo, spec.thresholds), repository=repository, branch=branch),
            topic_arn=topic.arn,
            region=region,
        )
        alarms = CloudWatchAlarms(
            self,
            "alarms",
            prefix=name,
            topic_arn=topic.arn,
            thresholds=spec.thresholds,
            # RDS names the host after the instance: `<identifier>.<id>.<region>.rds.amazonaws.com`.
            database_identifier=_first_label(database_address),
            vpc_id=vpc_id,
            load_balancer_tags=load_balancer_tags,
            rotation_function_name=rotation_function_name,
        )
        Dashboard(
            self,
            "dashboard",
            name=name,
            region=region,
            cluster_name=cluster_name,
            rotation_function_name=rotation_function_name,
            load_balancers=alarms.each_load_balancer,
            load_balancer_arns=alarms.load_balancer_arns,
            query_endpoint=workspace.query_endpoint,
        )


def _first_label(host: str) -> str:
    return Token.as_string(Fn.element(Fn.split(".", Token.as_string(host)), 0))
