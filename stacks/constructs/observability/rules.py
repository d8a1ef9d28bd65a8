"""Recording and alerting rules as data, one alert per concern, rendered as one Prometheus
rule file for the workspace's rule group namespace (alerts.py).

Every expression is PromQL that `promql_parser` accepts, and reads only metrics listed in
metrics.py or recorded in its own group (tests/stacks/test_observability_rules.py).
Thresholds and the SLO come from the environment file (`observability`); what each alert
means and what to do is docs/runbooks/alerts.md, linked from every alert.

The error-ratio alert is the fast-burn pair of the multiwindow, multi-burn-rate alerts of
Google's SRE workbook ("Alerting on SLOs", table 5-8): 2 % of a 30-day error budget spent
within an hour, seen in the last hour and still in the last 5 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from stacks.config.model import AlertThresholds, Slo

FAST_BURN_RATE = 14.4
RUNBOOK = "docs/runbooks/alerts.md"


@dataclass(frozen=True)
class Record:
    record: str
    expr: str


@dataclass(frozen=True)
class Alert:
    alert: str
    expr: str
    minutes: int  # how long the expression holds before the alert fires
    severity: str  # critical: someone acts now; warning: within working hours
    summary: str
    anchor: str  # its section in docs/runbooks/alerts.md


@dataclass(frozen=True)
class Group:
    name: str
    rules: tuple[Record | Alert, ...]


def _ratio(window: str) -> str:
    errors = f'sum(rate(guestbook_http_requests_total{{status=~"5.."}}[{window}]))'
    return f"{errors} / sum(rate(guestbook_http_requests_total[{window}]))"


def rule_groups(slo: Slo, thresholds: AlertThresholds) -> tuple[Group, ...]:
    budget = round(1 - slo.availability_percent / 100, 6)
    burn = round(FAST_BURN_RATE * budget, 6)
    app = Group(
        "guestbook-slo",
        (
            Record("guestbook:http_requests:rate5m", "sum by (route) (rate(guestbook_http_requests_total[5m]))"),
            Record("guestbook:http_errors:ratio_rate5m", _ratio("5m")),
            Record("guestbook:http_errors:ratio_rate1h", _ratio("1h")),
            Record(
                "guestbook:http_request_duration_seconds:p99_5m",
                "histogram_quantile(0.99, sum by (le) (rate(guestbook_http_request_duration_seconds_bucket[5m])))",
            ),
            Alert(
                "GuestbookErrorBudgetBurn",
                f"guestbook:http_errors:ratio_rate1h > {burn} and guestbook:http_errors:ratio_rate5m > {burn}",
                2,
                "critical",
                f"More than {burn:.2%} of requests fail with a 5xx: the {slo.availability_percent} % availability "
                "SLO's monthly budget goes in about two days at this rate",
                "guestbookerrorbudgetburn",
            ),
            Alert(
                "GuestbookLatencyP99High",
                f"guestbook:http_request_duration_seconds:p99_5m > {slo.latency_p99_seconds}",
                10,
                "warning",
                f"1 % of requests take longer than the SLO's {slo.latency_p99_seconds} s",
                "guestbooklatencyp99high",
            ),
        ),
    )
    cluster = Group(
        "cluster",
        (
            Alert(
                "PodCrashLooping",
                "max by (namespace, pod, container) "
                '(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}) == 1',
                thresholds.crash_loop_minutes,
                "warning",
                "Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} keeps crashing",
                "podcrashlooping",
            ),
            Alert(
                "MetricsTargetDown",
                "up == 0",
                10,
                "warning",
                "The collector cannot scrape {{ $labels.job }} at {{ $labels.instance }}",
                "metricstargetdown",
            ),
        ),
    )
    delivery = Group(
        "delivery",
        (
            Alert(
                "FluxNotReady",
                "max by (exported_namespace, kind, name) "
                '(flux_resource_info{kind=~"Kustomization|HelmRelease", ready!="True", suspended!~"(?i)true"}) == 1',
                thresholds.flux_not_ready_minutes,
                "critical",
                "{{ $labels.kind }} {{ $labels.exported_namespace }}/{{ $labels.name }} is not Ready: "
                "changes in Git do not reach the cluster",
                "fluxnotready",
            ),
            Alert(
                "ExternalSecretNotReady",
                'max by (namespace, name) (externalsecret_status_condition{condition="Ready", status="False"}) == 1',
                thresholds.external_secret_not_ready_minutes,
                "critical",
                "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} is not synced from Secrets Manager",
                "externalsecretnotready",
            ),
            Alert(
                "ExternalSecretSyncErrors",
                "sum by (namespace, name) (increase(externalsecret_sync_calls_error[15m])) > 0",
                15,
                "warning",
                "Syncing ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} keeps failing",
                "externalsecretsyncerrors",
            ),
        ),
    )
    return (app, cluster, delivery)


def _rule(rule: Record | Alert, runbook_base: str) -> dict[str, Any]:
    if isinstance(rule, Record):
        return {"record": rule.record, "expr": rule.expr}
    return {
        "alert": rule.alert,
        "expr": rule.expr,
        "for": f"{rule.minutes}m",
        "labels": {"severity": rule.severity},
        "annotations": {"summary": rule.summary, "runbook_url": f"{runbook_base}#{rule.anchor}"},
    }


def rules_yaml(groups: tuple[Group, ...], *, repository: str, branch: str) -> str:
    """The rule file; runbook links point at docs/runbooks/alerts.md on the deploy branch."""
    runbook_base = f"{repository}/blob/{branch}/{RUNBOOK}"
    document = {"groups": [{"name": g.name, "rules": [_rule(r, runbook_base) for r in g.rules]} for g in groups]}
    return yaml.safe_dump(document, sort_keys=False, width=1000)
