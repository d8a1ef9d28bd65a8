"""One CloudWatch dashboard per environment, built in Python: the ingress flow (the app's
load balancer), the secrets flow (the app credential's rotation), and the app's pods.

- Load balancer widgets list one line per load balancer the alarms found (alarms.py):
  their metrics are a Terraform expression over that list, the rest is plain JSON. Until
  the first Ingress has its load balancer (the deploy after it, docs/runbooks/alerts.md)
  they show one empty query, since a metric widget needs at least one.
- ExternalSecret status lives in AMP, not in CloudWatch: a text widget names the query
  and the workspace's query endpoint instead of a graph.
- The app's rate, errors and duration come from its own metrics, also in AMP (recorded by
  rules.py); CloudWatch shows the same three at the load balancer, and Container Insights
  the app's pods (CPU, memory, restarts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cdktf import Fn, Op, Token
from constructs import Construct

from stacks.bindings import aws

APP_NAMESPACE = "guestbook"
WIDTH = 8
HEIGHT = 6
# (metric, statistic, title) of the ingress flow: requests, latency, errors, healthy targets.
LOAD_BALANCER = (
    ("RequestCount", "Sum", "Requests"),
    ("TargetResponseTime", "p99", "Response time p99 (s)"),
    ("HTTPCode_Target_5XX_Count", "Sum", "5xx from the app"),
)
HEALTHY_HOSTS = (
    'SELECT MIN(HealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
    "WHERE LoadBalancer = '%s' GROUP BY TargetGroup"
)
# A query for a metric widget with no load balancer to show yet: valid, and empty.
PLACEHOLDER = "SELECT SUM(%s) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer) WHERE LoadBalancer = 'none'"
# metric → widget title; dimensions ClusterName, Namespace (Container Insights, EKS).
PODS = (
    ("pod_cpu_utilization", "App pods: CPU %"),
    ("pod_memory_utilization", "App pods: memory %"),
    ("pod_number_of_container_restarts", "App pods: container restarts"),
)

# Per load balancer metric list: (metric, statistic) → the widget's `metrics`.
LoadBalancerMetrics = Callable[[str, str], Any]
# A Metrics Insights query template with one %s for the load balancer → the widget's `metrics`.
LoadBalancerQueries = Callable[[str], Any]


def widgets(
    *,
    region: str,
    cluster_name: str,
    rotation_function_name: str,
    load_balancer_metrics: LoadBalancerMetrics,
    load_balancer_queries: LoadBalancerQueries,
    sync_status_query: str,
    query_endpoint: str,
) -> list[dict[str, Any]]:
    """The dashboard's widgets, top to bottom: ingress, secrets, pods."""

    def metric(title: str, metrics: Any, x: int, y: int, stat: str = "Sum") -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": WIDTH,
            "height": HEIGHT,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stat": stat,
                "period": 60,
                "metrics": metrics,
            },
        }

    def text(markdown: str, y: int) -> dict[str, Any]:
        return {"type": "text", "x": 0, "y": y, "width": 24, "height": 2, "properties": {"markdown": markdown}}

    ingress = [
        metric(title, load_balancer_metrics(name, stat), x=index * WIDTH, y=1, stat=stat)
        for index, (name, stat, title) in enumerate(LOAD_BALANCER)
    ]
    ingress.append(metric("Healthy targets", load_balancer_queries(HEALTHY_HOSTS), x=0, y=1 + HEIGHT, stat="Minimum"))
    rotation = {"FunctionName": rotation_function_name}
    secrets = [
        metric(
            "App credential rotation: invocations and errors",
            [
                ["AWS/Lambda", "Invocations", "FunctionName", rotation["FunctionName"]],
                ["AWS/Lambda", "Errors", "FunctionName", rotation["FunctionName"]],
            ],
            x=0,
            y=2 + 2 * HEIGHT,
        ),
        text(
            "**ExternalSecret status** is a Prometheus metric (AMP), not a CloudWatch one: query "
            f"`{sync_status_query}` at `{query_endpoint}` (SigV4, e.g. awscurl) or from Amazon Managed "
            "Grafana. The alerts ExternalSecretNotReady and ExternalSecretSyncErrors watch it.",
            y=2 + 3 * HEIGHT,
        ),
    ]
    pods = [
        metric(
            title,
            [["ContainerInsights", name, "ClusterName", cluster_name, "Namespace", APP_NAMESPACE]],
            x=index * WIDTH,
            y=5 + 3 * HEIGHT,
            stat="Maximum" if "restarts" in name else "Average",
        )
        for index, (name, title) in enumerate(PODS)
    ]
    return [
        text("## Ingress: internet → ALB → app (one line per load balancer of the IngressGroup)", y=0),
        *ingress,
        text("## Secrets: Secrets Manager → External Secrets → app", y=1 + 2 * HEIGHT),
        *secrets,
        text(
            "## App: rate, errors and duration are the ALB's above, and the app's own metrics in AMP "
            "(`guestbook:http_requests:rate5m`, `guestbook:http_errors:ratio_rate5m`, "
            "`guestbook:http_request_duration_seconds:p99_5m`); its pods below (Container Insights)",
            y=4 + 3 * HEIGHT,
        ),
        *pods,
    ]


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        cluster_name: str,
        rotation_function_name: str,
        load_balancers: Any,
        load_balancer_arns: Any,
        query_endpoint: str,
    ) -> None:
        """`load_balancer_arns`: the list of ARNs; `load_balancers`: an iterator over it."""
        super().__init__(scope, id_)
        dimension = 'element(split(":loadbalancer/", val), 1)'
        none_yet = Op.lt(Fn.length_of(load_balancer_arns), 1)

        def or_placeholder(metrics: Any, metric: str) -> Any:
            query = PLACEHOLDER % metric
            placeholder = [[{"expression": Fn.raw_string(query), "label": "no load balancer yet"}]]
            # Through JSON text: Terraform refuses a conditional whose two lists differ in shape.
            choice = Fn.conditional(none_yet, Fn.jsonencode(placeholder), Fn.jsonencode(metrics))
            return Fn.jsondecode(Token.as_string(choice))

        def per_load_balancer(metric: str, stat: str) -> Any:
            metrics = load_balancers.for_expression_for_list(
                f'["AWS/ApplicationELB", "{metric}", "LoadBalancer", {dimension}, {{ stat = "{stat}" }}]'
            )
            return or_placeholder(metrics, metric)

        def queries(template: str) -> Any:
            escaped = template.replace('"', '\\"')
            metrics = load_balancers.for_expression_for_list(f'[{{ expression = format("{escaped}", {dimension}) }}]')
            return or_placeholder(metrics, "HealthyHostCount")

        body = widgets(
            region=region,
            cluster_name=cluster_name,
            rotation_function_name=rotation_function_name,
            load_balancer_metrics=per_load_balancer,
            load_balancer_queries=queries,
            sync_status_query="max by (namespace, name) (externalsecret_status_condition{condition='Ready'})",
            query_endpoint=query_endpoint,
        )
        aws.cloudwatch_dashboard.CloudwatchDashboard(
            self, "dashboard", dashboard_name=name, dashboard_body=Fn.jsonencode({"widgets": body})
        )
