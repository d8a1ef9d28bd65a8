"""Every metric an alert or recording rule reads, and the scrape job that produces it.

A rule may name only a metric listed here or one its own rule group records, and every
producer named here must be a job of the scrape configuration: a typo in a rule, or a
producer dropped from the scraper, fails tests/stacks/test_observability_rules.py instead
of leaving an alert that can never fire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# `up` is written by the scraper itself, for every target of every job.
ANY_JOB = "*"


@dataclass(frozen=True)
class Producer:
    job: str  # job_name in scrape_config.py, or ANY_JOB
    source: str  # where the metric and its labels are documented


APP_CONTRACT = "the app's metrics contract (issue #14): counter {route,method,status}, histogram {route,method}"
KSM = "https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/pod-metrics.md"
ESO = "https://external-secrets.io/latest/api/metrics/ (labels name, namespace, condition, status)"

METRICS: Mapping[str, Producer] = {
    "up": Producer(ANY_JOB, "https://prometheus.io/docs/concepts/jobs_instances/"),
    "guestbook_http_requests_total": Producer("guestbook", APP_CONTRACT),
    "guestbook_http_request_duration_seconds_bucket": Producer("guestbook", APP_CONTRACT),
    "kube_pod_container_status_waiting_reason": Producer("kube-state-metrics", KSM),
    "flux_resource_info": Producer(
        "flux-operator",
        "https://fluxoperator.dev/docs/instance/monitoring/ (labels uid, kind, name, exported_namespace, ready, "
        "reason, suspended)",
    ),
    "externalsecret_status_condition": Producer("external-secrets", ESO),
    "externalsecret_sync_calls_error": Producer("external-secrets", ESO),
}
