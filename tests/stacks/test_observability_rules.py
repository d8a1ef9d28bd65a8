"""Alerts as code: every rule parses as PromQL, reads only metrics that something scraped
produces, and takes its thresholds from the environment file; the scrape configuration
is one the managed collector accepts. No synth: rules and scrape jobs are plain data."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import promql_parser
import pytest

from stacks.config import Environment
from stacks.config.model import AlertThresholds, Slo
from stacks.constructs.observability.metrics import ANY_JOB, METRICS
from stacks.constructs.observability.rules import FAST_BURN_RATE, Alert, Group, Record, rule_groups, rules_yaml
from stacks.constructs.observability.scrape_config import (
    POD_JOBS,
    TOKEN_FILE,
    job_names,
    kept,
    scrape_configuration,
)
from tests.conftest import ROOT

GROUPS = rule_groups(Slo(), AlertThresholds())
EXPRESSIONS = [
    (rule.record if isinstance(rule, Record) else rule.alert, rule.expr) for group in GROUPS for rule in group.rules
]


def selectors(expr: str) -> Iterator[str]:
    """The metric name of every vector selector of an expression."""
    names: list[str] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            name = node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), "")
            names.append(str(name))
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    yield from names


def unknown_metrics(groups: tuple[Group, ...], allowed: Mapping[str, Any]) -> list[str]:
    """One line per metric a rule reads that is neither listed nor recorded in its group."""
    problems = []
    for group in groups:
        recorded = {rule.record for rule in group.rules if isinstance(rule, Record)}
        for rule in group.rules:
            name = rule.record if isinstance(rule, Record) else rule.alert
            for metric in selectors(rule.expr):
                if metric not in allowed and metric not in recorded:
                    problems.append(f"{group.name}/{name}: {metric} has no producer in metrics.py")
    return problems


def unscraped_producers(groups: tuple[Group, ...], configuration: Mapping[str, Any]) -> list[str]:
    """One line per metric whose producing job the scrape configuration lacks."""
    jobs = set(job_names(configuration))
    used = {metric for group in groups for rule in group.rules for metric in selectors(rule.expr)}
    return [
        f"{metric}: produced by job {METRICS[metric].job}, which the scraper does not scrape"
        for metric in sorted(used & set(METRICS))
        if METRICS[metric].job != ANY_JOB and METRICS[metric].job not in jobs
    ]


@pytest.mark.parametrize(("name", "expr"), EXPRESSIONS, ids=[name for name, _ in EXPRESSIONS])
def test_every_expression_is_promql(name: str, expr: str) -> None:
    assert promql_parser.parse(expr) is not None


def test_a_broken_expression_does_not_parse() -> None:
    with pytest.raises(ValueError, match="unclosed left parenthesis"):
        promql_parser.parse("sum(rate(up[5m])")


def test_every_metric_a_rule_reads_has_a_producer() -> None:
    assert unknown_metrics(GROUPS, METRICS) == []


def test_an_unknown_metric_is_reported() -> None:
    typo = Alert("Typo", "rate(guestbook_http_request_total[5m]) > 0", 5, "warning", "x", "x")
    groups = (Group("typos", (typo,)),)
    assert unknown_metrics(groups, METRICS) == [
        "typos/Typo: guestbook_http_request_total has no producer in metrics.py"
    ]


def test_every_producer_is_scraped() -> None:
    assert unscraped_producers(GROUPS, scrape_configuration()) == []


def test_a_producer_dropped_from_the_scrape_configuration_is_reported() -> None:
    without = scrape_configuration([job for job in POD_JOBS if job.name != "kube-state-metrics"])
    assert unscraped_producers(GROUPS, without) == [
        "kube_pod_container_status_waiting_reason: produced by job kube-state-metrics, which the scraper does not scrape"
    ]


def test_every_listed_metric_is_read_by_some_rule() -> None:
    used = {metric for group in GROUPS for rule in group.rules for metric in selectors(rule.expr)}
    assert set(METRICS) - used == set()


def test_alerts_have_unique_names_and_a_runbook_section() -> None:
    alerts = [rule for group in GROUPS for rule in group.rules if isinstance(rule, Alert)]
    assert len({a.alert for a in alerts}) == len(alerts)
    headings = re.findall(r"^## (\w+)$", (ROOT / "docs" / "runbooks" / "alerts.md").read_text(), re.MULTILINE)
    assert sorted(a.anchor for a in alerts) == sorted(h.lower() for h in headings)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_thresholds_and_slo_come_from_the_environment_file(environments: dict[str, Environment], env: str) -> None:
    spec = environments[env].observability
    alerts = {
        rule.alert: rule
        for group in rule_groups(spec.slo, spec.thresholds)
        for rule in group.rules
        if isinstance(rule, Alert)
    }
    burn = round(FAST_BURN_RATE * (1 - spec.slo.availability_percent / 100), 6)
    assert alerts["GuestbookErrorBudgetBurn"].expr.endswith(f"ratio_rate5m > {burn}")
    assert alerts["GuestbookLatencyP99High"].expr.endswith(f"> {spec.slo.latency_p99_seconds}")
    assert alerts["FluxNotReady"].minutes == spec.thresholds.flux_not_ready_minutes
    assert alerts["PodCrashLooping"].minutes == spec.thresholds.crash_loop_minutes
    assert alerts["ExternalSecretNotReady"].minutes == spec.thresholds.external_secret_not_ready_minutes


def test_the_rule_file_links_each_alert_to_its_runbook_section() -> None:
    text = rules_yaml(GROUPS, repository="https://github.com/acme/platform", branch="main")
    assert "runbook_url: https://github.com/acme/platform/blob/main/docs/runbooks/alerts.md#fluxnotready" in text


def test_flux_alert_reads_the_labels_flux_operator_exports() -> None:
    [flux] = [r for g in GROUPS for r in g.rules if isinstance(r, Alert) and r.alert == "FluxNotReady"]
    parsed = promql_parser.parse(flux.expr)
    assert "exported_namespace" in str(parsed) and 'ready!="True"' in str(parsed)


def test_the_managed_collector_accepts_the_configuration() -> None:
    """Limits of the AMP managed collector: 30 s or more, bearer token from the service
    account file only, names other than kubernetes.default.svc unresolvable."""
    configuration = scrape_configuration()
    assert configuration["global"]["scrape_interval"] == "30s"
    for job in configuration["scrape_configs"]:
        assert "scrape_interval" not in job
        if "authorization" in job:
            assert job["authorization"] == {"type": "Bearer", "credentials_file": TOKEN_FILE}
        for rule in job.get("relabel_configs", []):
            if rule.get("target_label") == "__address__":
                assert rule["replacement"] == "kubernetes.default.svc:443"
    assert len(set(job_names(configuration))) == len(configuration["scrape_configs"])


RELABEL = [
    {"action": "keep", "source_labels": ["ns", "port"], "regex": "flux-system;http-prom"},
    {"action": "drop", "source_labels": ["phase"], "regex": "Pending|Failed"},
]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"ns": "flux-system", "port": "http-prom", "phase": "Running"}, True),
        ({"ns": "flux-system", "port": "http-prom", "phase": "Pending"}, False),
        ({"ns": "flux-system", "port": "http-prom-x", "phase": "Running"}, False),  # anchored at both ends
        ({"ns": "kube-system", "port": "http-prom", "phase": "Running"}, False),
        ({"port": "http-prom"}, False),  # a missing label is the empty string
    ],
)
def test_keep_and_drop_relabelling_as_prometheus_applies_it(labels: dict[str, str], expected: bool) -> None:
    assert kept(RELABEL, labels) is expected
