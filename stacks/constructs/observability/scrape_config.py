"""What the AMP managed collector scrapes, as data: one job per producer of metrics, and
the Prometheus configuration built from it.

Controllers and the app are found as pods (`kubernetes_sd_configs` role pod) and kept
by namespace, pod labels and the name of one container port; the API server through its
own endpoints and the kubelets (with cAdvisor) through the API server's node proxy, as
AWS's default configuration does. What the managed collector accepts (intervals of 30 s
or more, a bearer token only from the service account file, only
kubernetes.default.svc resolvable by name):
https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-configuration

`kept` evaluates keep/drop relabelling the way Prometheus does, so the system model
(system/traffic.py) derives from the synthesized configuration which pods will be
scraped, and on which ports the scraper must get through.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

SCRAPE_INTERVAL = "30s"
TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 - a path, not a secret
API_SERVER = "kubernetes.default.svc:443"
API_SERVER_PORT = 443
# Jobs through the API server: the scraper reaches them on 443 only.
API_SERVER_JOBS = ("kubernetes-apiservers", "kubelet", "cadvisor")
# Pods that are not running expose nothing; a target for them would only be "down".
NOT_RUNNING = "Pending|Succeeded|Failed|Unknown"


@dataclass(frozen=True)
class PodJob:
    """Pods of one namespace, with these labels, scraped on the container port named `port_name`."""

    name: str
    namespace: str
    port_name: str
    port: int  # the port number behind `port_name`: what security groups and NetworkPolicies must admit
    labels: Mapping[str, str] = field(default_factory=dict)
    # Exporters that describe other objects (kube-state-metrics: pods; External Secrets:
    # ExternalSecrets) carry their own `namespace` and `pod` labels, which must win over
    # the target's.
    honor_labels: bool = False
    source: str = ""  # where the port and labels were read


POD_JOBS: tuple[PodJob, ...] = (
    PodJob(
        "flux-controllers",
        "flux-system",
        "http-prom",
        8080,
        honor_labels=True,
        source="Flux v2.8.8 Deployments (system/upstream_facts.py FLUX_CONTROLLER_PORTS)",
    ),
    PodJob(
        "flux-operator",
        "flux-system",
        "http-metrics",
        8080,
        {"app.kubernetes.io/name": "flux-operator"},
        honor_labels=True,
        source="flux-operator chart, templates/deployment.yaml",
    ),
    PodJob(
        "external-secrets",
        "external-secrets",
        "metrics",
        8080,
        {"app.kubernetes.io/name": "external-secrets"},
        honor_labels=True,
        source="external-secrets chart 1.0.0 (--metrics-addr=:8080)",
    ),
    PodJob(
        "load-balancer-controller",
        "kube-system",
        "metrics-server",
        8080,
        {"app.kubernetes.io/name": "aws-load-balancer-controller"},
        source="aws-load-balancer-controller chart 1.14.0",
    ),
    PodJob(
        "kube-state-metrics",
        "kube-state-metrics",
        "http",
        8080,
        {"app.kubernetes.io/name": "kube-state-metrics"},
        honor_labels=True,
        source="EKS community add-on (prometheus-community chart defaults; not read from the add-on itself)",
    ),
    PodJob(
        "guestbook",
        "guestbook",
        "metrics",
        9090,
        # The release's instance label: the chart's name label is `app`, fixed by the
        # Deployment's immutable selector.
        {"app.kubernetes.io/instance": "guestbook"},
        source="the app's metrics contract (issue #14): port `metrics`, /metrics",
    ),
)


def scrape_ports() -> list[int]:
    """Every port the scraper connects to: the API server's and each pod job's."""
    return sorted({API_SERVER_PORT, *(job.port for job in POD_JOBS)})


def _meta_label(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", name)


def _literal(value: str) -> str:
    """A regular expression matching exactly `value` (names here hold no other special character)."""
    return value.replace(".", r"\.")


def _pod_job(job: PodJob) -> dict[str, Any]:
    keep = {
        "__meta_kubernetes_namespace": job.namespace,
        "__meta_kubernetes_pod_container_port_name": job.port_name,
        **{f"__meta_kubernetes_pod_label_{_meta_label(key)}": value for key, value in job.labels.items()},
    }
    return {
        "job_name": job.name,
        "honor_labels": job.honor_labels,
        "kubernetes_sd_configs": [{"role": "pod"}],
        "relabel_configs": [
            *({"action": "keep", "source_labels": [label], "regex": _literal(value)} for label, value in keep.items()),
            {"action": "drop", "source_labels": ["__meta_kubernetes_pod_phase"], "regex": NOT_RUNNING},
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
        ],
    }


def _through_api_server(job: str, path: str) -> dict[str, Any]:
    """The kubelets' /metrics and /metrics/cadvisor through the API server's node proxy."""
    return {
        "job_name": job,
        "scheme": "https",
        "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE},
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [
            {"target_label": "__address__", "replacement": API_SERVER},
            {
                "source_labels": ["__meta_kubernetes_node_name"],
                "regex": "(.+)",
                "target_label": "__metrics_path__",
                "replacement": f"/api/v1/nodes/$1/proxy{path}",
            },
            {"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"},
        ],
    }


def scrape_configuration(jobs: Sequence[PodJob] = POD_JOBS) -> dict[str, Any]:
    api_servers = {
        "job_name": "kubernetes-apiservers",
        "scheme": "https",
        "authorization": {"type": "Bearer", "credentials_file": TOKEN_FILE},
        "kubernetes_sd_configs": [{"role": "endpoints"}],
        "relabel_configs": [
            {
                "action": "keep",
                "source_labels": [
                    "__meta_kubernetes_namespace",
                    "__meta_kubernetes_service_name",
                    "__meta_kubernetes_endpoint_port_name",
                ],
                "regex": "default;kubernetes;https",
            }
        ],
    }
    return {
        "global": {"scrape_interval": SCRAPE_INTERVAL},
        "scrape_configs": [
            api_servers,
            _through_api_server("kubelet", "/metrics"),
            _through_api_server("cadvisor", "/metrics/cadvisor"),
            *(_pod_job(job) for job in jobs),
        ],
    }


def scrape_configuration_yaml(jobs: Sequence[PodJob] = POD_JOBS) -> str:
    return yaml.safe_dump(scrape_configuration(jobs), sort_keys=False)


def job_names(configuration: Mapping[str, Any]) -> list[str]:
    return [str(job["job_name"]) for job in configuration.get("scrape_configs", [])]


def kept(relabel_configs: Iterable[Mapping[str, Any]], labels: Mapping[str, str]) -> bool:
    """Whether a target with these discovery labels survives the keep/drop rules (other
    actions leave that decision alone). Prometheus joins the source labels with `;` and
    anchors the regular expression at both ends."""
    for rule in relabel_configs:
        action = rule.get("action", "replace")
        if action not in ("keep", "drop"):
            continue
        value = str(rule.get("separator", ";")).join(labels.get(name, "") for name in rule.get("source_labels", []))
        matched = re.fullmatch(str(rule.get("regex", "(.*)")), value) is not None
        if matched != (action == "keep"):
            return False
    return True


class PodLike(Protocol):
    @property
    def namespace(self) -> str: ...
    @property
    def labels(self) -> dict[str, str]: ...
    @property
    def ports(self) -> dict[str, int]: ...


def pod_targets(configuration: Mapping[str, Any], pods: Iterable[PodLike]) -> list[tuple[str, PodLike, int]]:
    """(job, pod, port) of every pod port a `role: pod` job keeps, for running pods."""
    found = []
    pods = list(pods)
    for job in configuration.get("scrape_configs", []):
        if [sd.get("role") for sd in job.get("kubernetes_sd_configs", [])] != ["pod"]:
            continue
        for pod in pods:
            for port_name, port in pod.ports.items():
                labels = {
                    "__meta_kubernetes_namespace": pod.namespace,
                    "__meta_kubernetes_pod_container_port_name": port_name,
                    "__meta_kubernetes_pod_container_port_number": str(port),
                    "__meta_kubernetes_pod_phase": "Running",
                    **{f"__meta_kubernetes_pod_label_{_meta_label(k)}": v for k, v in pod.labels.items()},
                }
                if kept(job.get("relabel_configs", []), labels):
                    found.append((str(job["job_name"]), pod, port))
    return found
