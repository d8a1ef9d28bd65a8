"""Alerts as code in the workspace: the rule file of rules.py in one rule group namespace,
and an Alertmanager that sends every alert to the environment's SNS topic.

AMP's Alertmanager definition is `alertmanager_config:` holding the configuration as a
string, with SNS receivers signed by SigV4:
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-config.html
"""

from __future__ import annotations

import textwrap

import yaml
from constructs import Construct

from stacks.bindings import aws

# Alerts of one rule for the same namespace are sent together; a firing alert is repeated
# every 4 hours until it is resolved.
ROUTE = {
    "receiver": "sns",
    "group_by": ["alertname", "namespace"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": "4h",
}


def alertmanager_definition(*, topic_arn: str, region: str) -> str:
    config = {
        "route": ROUTE,
        "receivers": [
            {
                "name": "sns",
                "sns_configs": [
                    {
                        "topic_arn": topic_arn,
                        "sigv4": {"region": region},
                        "subject": "[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }}",
                    }
                ],
            }
        ],
    }
    inner = yaml.safe_dump(config, sort_keys=False, width=1000)
    return "alertmanager_config: |\n" + textwrap.indent(inner, "  ")


class PrometheusAlerts(Construct):
    def __init__(
        self, scope: Construct, id_: str, *, workspace_id: str, rules: str, topic_arn: str, region: str
    ) -> None:
        super().__init__(scope, id_)
        aws.prometheus_rule_group_namespace.PrometheusRuleGroupNamespace(
            self, "rules", name="platform", workspace_id=workspace_id, data=rules
        )
        aws.prometheus_alert_manager_definition.PrometheusAlertManagerDefinition(
            self,
            "alertmanager",
            workspace_id=workspace_id,
            definition=alertmanager_definition(topic_arn=topic_arn, region=region),
        )
