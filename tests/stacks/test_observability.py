"""Observability on managed services, one security or wiring property per test, on the
synthesized stacks of every environment that turns it on (and one bare stack where it is off)."""

from __future__ import annotations

import json
from typing import Any

import cdktf
import pytest
import yaml

from stacks.config import Environment, plan_subnets
from stacks.config.addon_versions import addon_versions
from stacks.constructs.core_addons import OBSERVABILITY, CoreAddons
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.observability.container_insights import LOG_KINDS
from stacks.constructs.observability.dashboard import widgets
from stacks.constructs.observability.rules import rule_groups, rules_yaml
from stacks.constructs.observability.scrape_config import scrape_configuration_yaml, scrape_ports
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, only, ref, remote, resources

ENVS = ENVIRONMENT_NAMES


@pytest.fixture(params=ENVS)
def observed(request: pytest.FixtureRequest, environments: dict[str, Environment]) -> Environment:
    env = environments[request.param]
    if not env.observability.enabled:
        pytest.skip(f"{env.name} has observability off")
    return env


def platform(stacks: dict[str, Document], env: Environment) -> Document:
    return stacks[f"{env.name}-platform"]


def statements(document: Document, policy: str) -> list[dict[str, Any]]:
    """The statements of `${data.aws_iam_policy_document.<name>.json}`."""
    return list(data_sources(document, "aws_iam_policy_document")[policy.split(".")[2]]["statement"])


def test_samples_are_encrypted_with_a_key_of_their_own(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    key_name, key = by_path(stack, "aws_kms_key", "observability/prometheus/key/key")
    workspace = only(stack, "aws_prometheus_workspace")
    assert workspace["kms_key_arn"] == ref("aws_kms_key", key_name, "arn")
    assert key["enable_key_rotation"] is True


def test_the_workspace_logs_to_an_encrypted_group_with_the_environments_retention(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    group_name, group = by_path(stack, "aws_cloudwatch_log_group", "observability/prometheus/log-group")
    workspace = only(stack, "aws_prometheus_workspace")
    assert (
        workspace["logging_configuration"]["log_group_arn"] == ref("aws_cloudwatch_log_group", group_name, "arn") + ":*"
    )
    assert group["kms_key_id"].startswith("${aws_kms_key.")
    assert group["retention_in_days"] == observed.observability.log_retention_days


def test_samples_are_kept_as_long_as_the_environment_says(stacks: dict[str, Document], observed: Environment) -> None:
    configuration = only(platform(stacks, observed), "aws_prometheus_workspace_configuration")
    assert configuration["retention_period_in_days"] == observed.observability.metrics_retention_days


def test_the_scraper_runs_in_the_private_subnets_with_its_own_security_group(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    [eks] = only(stack, "aws_prometheus_scraper")["source"][0]["eks"]
    group_name, _ = by_path(stack, "aws_security_group", "observability/scraper/security-group")
    assert eks["security_group_ids"] == [ref("aws_security_group", group_name, "id")]
    assert len(eks["subnet_ids"]) == len(observed.network.availability_zones)
    assert all(remote(s, f"{observed.name}-network") and "private" in s for s in eks["subnet_ids"])


def test_the_scraper_may_only_reach_the_cluster_on_the_ports_it_scrapes(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    group_name, group = by_path(stack, "aws_security_group", "observability/scraper/security-group")
    egress = [
        r
        for r in resources(stack, "aws_vpc_security_group_egress_rule").values()
        if group_name in r["security_group_id"]
    ]
    assert "egress" not in group and "ingress" not in group
    assert sorted(r["from_port"] for r in egress) == scrape_ports()
    assert all(r["from_port"] == r["to_port"] and r["ip_protocol"] == "tcp" for r in egress)
    assert all(
        "cidr_ipv4" not in r and remote(r["referenced_security_group_id"], f"{observed.name}-cluster") for r in egress
    )


def test_the_cluster_admits_the_scraper_on_those_ports_only(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    group_name, _ = by_path(stack, "aws_security_group", "observability/scraper/security-group")
    ingress = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()]
    assert sorted((r["from_port"], r["to_port"]) for r in ingress) == [(p, p) for p in scrape_ports()]
    for rule in ingress:
        assert "cluster_security_group_id" in rule["security_group_id"]
        assert rule["referenced_security_group_id"] == ref("aws_security_group", group_name, "id")


def test_the_scrape_configuration_is_the_reviewed_one(stacks: dict[str, Document], observed: Environment) -> None:
    scraper = only(platform(stacks, observed), "aws_prometheus_scraper")
    assert scraper["scrape_configuration"] == scrape_configuration_yaml()
    assert "global" in yaml.safe_load(scraper["scrape_configuration"])


def test_the_scraper_is_trusted_only_by_this_accounts_scrapers(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    _, role = by_path(stack, "aws_iam_role", "observability/scraper/source-role/role")
    [trust] = statements(stack, role["assume_role_policy"])
    assert trust["principals"] == [{"type": "Service", "identifiers": ["scraper.aps.amazonaws.com"]}]
    conditions = {c["variable"]: (c["test"], c["values"]) for c in trust["condition"]}
    assert conditions == {
        "aws:SourceAccount": ("StringEquals", [observed.account_id]),
        "aws:SourceArn": ("ArnLike", [f"arn:aws:aps:{observed.region}:{observed.account_id}:scraper/*"]),
    }


def test_the_writer_may_only_remote_write_to_this_workspace(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    workspace_name, _ = by_path(stack, "aws_prometheus_workspace", "observability/prometheus/workspace")
    _, inline = by_path(stack, "aws_iam_role_policy", "observability/scraper/target-role/inline")
    write, encrypt = statements(stack, inline["policy"])
    assert (write["actions"], write["resources"]) == (
        ["aps:RemoteWrite"],
        [ref("aws_prometheus_workspace", workspace_name, "arn")],
    )
    assert encrypt["condition"][0]["values"] == [f"aps.{observed.region}.amazonaws.com"]


def test_no_stack_creates_an_access_entry_for_the_scraper(stacks: dict[str, Document], observed: Environment) -> None:
    """AMP creates it (authentication mode API); a second one would fail the apply."""
    [cluster] = resources(stacks[f"{observed.name}-cluster"], "aws_eks_cluster").values()
    assert cluster["access_config"]["authentication_mode"] == "API"
    assert "aws_eks_access_entry" not in platform(stacks, observed).get("resource", {})


def test_flux_lets_only_the_private_subnets_in_on_its_metrics_port(
    stacks: dict[str, Document], observed: Environment
) -> None:
    policy = only(platform(stacks, observed), "kubernetes_network_policy_v1")
    private = plan_subnets(
        observed.network.cidr, len(observed.network.availability_zones), observed.network.subnet_prefixes.model_dump()
    ).private
    [rule] = policy["spec"]["ingress"]
    assert policy["metadata"]["namespace"] == "flux-system"
    assert policy["spec"]["policy_types"] == ["Ingress"]
    assert [peer["ip_block"]["cidr"] for peer in rule["from"]] == [str(cidr) for cidr in private]
    assert rule["ports"] == [{"port": "8080", "protocol": "TCP"}]


def test_the_alert_topic_is_encrypted(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    key_name, _ = by_path(stack, "aws_kms_key", "observability/topic/key/key")
    assert only(stack, "aws_sns_topic")["kms_master_key_id"] == ref("aws_kms_key", key_name, "arn")


def test_only_this_accounts_alarms_and_workspace_may_publish(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    workspace_name, _ = by_path(stack, "aws_prometheus_workspace", "observability/prometheus/workspace")
    alarms, alertmanager = statements(stack, only(stack, "aws_sns_topic_policy")["policy"])
    for statement in (alarms, alertmanager):
        assert {"test": "StringEquals", "variable": "aws:SourceAccount", "values": [observed.account_id]} in statement[
            "condition"
        ]
    assert alarms["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com"]
    assert alarms["condition"][1]["values"] == [f"arn:aws:cloudwatch:{observed.region}:{observed.account_id}:alarm:*"]
    assert alertmanager["principals"][0]["identifiers"] == ["aps.amazonaws.com"]
    assert alertmanager["condition"][1] == {
        "test": "ArnEquals",
        "variable": "aws:SourceArn",
        "values": [ref("aws_prometheus_workspace", workspace_name, "arn")],
    }


def test_the_environments_addresses_are_subscribed(stacks: dict[str, Document], observed: Environment) -> None:
    subscriptions = resources(platform(stacks, observed), "aws_sns_topic_subscription").values()
    assert sorted(s["endpoint"] for s in subscriptions) == sorted(observed.observability.alert_emails)
    assert {s["protocol"] for s in subscriptions} == {"email"}


def test_alertmanager_sends_everything_to_the_topic(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    topic_name, _ = by_path(stack, "aws_sns_topic", "observability/topic/topic")
    definition = yaml.safe_load(only(stack, "aws_prometheus_alert_manager_definition")["definition"])
    config = yaml.safe_load(definition["alertmanager_config"])
    [receiver] = config["receivers"]
    assert config["route"]["receiver"] == receiver["name"] and "routes" not in config["route"]
    assert receiver["sns_configs"] == [
        {
            "topic_arn": ref("aws_sns_topic", topic_name, "arn"),
            "sigv4": {"region": observed.region},
            "subject": "[{{ .Status | toUpper }}] {{ .GroupLabels.alertname }}",
        }
    ]


def test_the_rules_are_the_environments(stacks: dict[str, Document], observed: Environment) -> None:
    namespace = only(platform(stacks, observed), "aws_prometheus_rule_group_namespace")
    spec = observed.observability
    expected = rules_yaml(rule_groups(spec.slo, spec.thresholds), repository=observed.repository, branch="main")
    assert namespace["data"] == expected


def test_every_alarm_notifies_the_topic(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    topic = ref("aws_sns_topic", by_path(stack, "aws_sns_topic", "observability/topic/topic")[0], "arn")
    alarms = resources(stack, "aws_cloudwatch_metric_alarm").values()
    assert len(alarms) == 9
    assert all(a["alarm_actions"] == [topic] and a["ok_actions"] == [topic] for a in alarms)


def test_load_balancer_alarms_follow_the_load_balancers_the_controller_tagged(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = platform(stacks, observed)
    [(name, lbs)] = data_sources(stack, "aws_lbs").items()
    cluster = f"{observed.project}-{observed.name}-eks"
    assert lbs["tags"] == {"elbv2.k8s.aws/cluster": cluster, "ingress.k8s.aws/stack": cluster}
    per_alb = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if "alb-" in a["alarm_name"]]
    assert len(per_alb) == 3
    assert all(a["for_each"] == f"${{toset(tolist(data.aws_lbs.{name}.arns))}}" for a in per_alb)


def test_nat_alarms_follow_the_gateways_of_the_vpc(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    [(name, nats)] = data_sources(stack, "aws_nat_gateways").items()
    assert remote(nats["vpc_id"], f"{observed.name}-network")
    per_nat = [
        a for a in resources(stack, "aws_cloudwatch_metric_alarm").values() if a.get("namespace") == "AWS/NATGateway"
    ]
    assert {a["metric_name"] for a in per_nat} == {"ErrorPortAllocation", "PacketsDropCount"}
    assert all(a["for_each"] == f"${{toset(data.aws_nat_gateways.{name}.ids)}}" for a in per_nat)


def test_database_alarms_use_the_environments_thresholds(stacks: dict[str, Document], observed: Environment) -> None:
    stack = platform(stacks, observed)
    thresholds = observed.observability.thresholds
    database = {
        a["metric_name"]: a
        for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
        if a.get("namespace") == "AWS/RDS"
    }
    assert database["CPUUtilization"]["threshold"] == thresholds.database_cpu_percent
    assert database["FreeStorageSpace"]["threshold"] == thresholds.database_free_storage_gib * 1024**3
    assert database["DatabaseConnections"]["threshold"] == thresholds.database_connections
    # The instance identifier: the first label of the data stack's database address.
    for alarm in database.values():
        identifier = alarm["dimensions"]["DBInstanceIdentifier"]
        assert identifier.startswith('${element(split(".", data.terraform_remote_state.cross-stack-reference-input-')
        assert f"-{observed.name}-data." in identifier and identifier.endswith(", 0)}")


def test_one_dashboard_per_environment(stacks: dict[str, Document], observed: Environment) -> None:
    dashboard = only(platform(stacks, observed), "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == f"{observed.project}-{observed.name}"
    assert dashboard["dashboard_body"].startswith("${jsonencode(")


def test_dashboard_widgets_are_valid_json_and_fit_the_grid() -> None:
    body = widgets(
        region="eu-west-1",
        cluster_name="c",
        rotation_function_name="f",
        load_balancer_metrics=lambda metric, stat: [["AWS/ApplicationELB", metric, "LoadBalancer", "app/x/1"]],
        load_balancer_queries=lambda template: [[{"expression": template % "app/x/1"}]],
        sync_status_query="q",
        query_endpoint="https://example/api/v1/query",
    )
    json.dumps({"widgets": body})
    assert all(w["x"] + w["width"] <= 24 for w in body)
    titles = [w["properties"].get("title") for w in body if w["type"] == "metric"]
    assert "Healthy targets" in titles and "App credential rotation: invocations and errors" in titles
    cells = [(w["y"], w["x"]) for w in body]
    assert len(cells) == len(set(cells))


@pytest.mark.parametrize("addon", OBSERVABILITY)
def test_in_cluster_collectors_are_pinned_eks_add_ons(
    stacks: dict[str, Document], observed: Environment, addon: str
) -> None:
    _, body = by_path(stacks[f"{observed.name}-cluster"], "aws_eks_addon", f"addons/{addon}")
    assert body["addon_version"] == addon_versions(observed.cluster.kubernetes_version).versions[addon]


def test_container_insights_calls_aws_as_its_own_service_account(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = stacks[f"{observed.name}-cluster"]
    _, addon = by_path(stack, "aws_eks_addon", "addons/amazon-cloudwatch-observability")
    role_name, _ = by_path(stack, "aws_iam_role", "addons/amazon-cloudwatch-observability-role/role")
    assert addon["pod_identity_association"] == [
        {"service_account": "cloudwatch-agent", "role_arn": ref("aws_iam_role", role_name, "arn")}
    ]
    _, policy = by_path(
        stack,
        "aws_iam_role_policy_attachment",
        "amazon-cloudwatch-observability-role/managed-CloudWatchAgentServerPolicy",
    )
    assert policy["policy_arn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
    assert "application_signals" not in addon["configuration_values"]


def test_container_logs_go_to_encrypted_groups_created_first(
    stacks: dict[str, Document], observed: Environment
) -> None:
    stack = stacks[f"{observed.name}-cluster"]
    _, addon = by_path(stack, "aws_eks_addon", "addons/amazon-cloudwatch-observability")
    cluster = f"{observed.project}-{observed.name}-eks"
    for kind in LOG_KINDS:
        name, group = by_path(stack, "aws_cloudwatch_log_group", f"container-insights/{kind}")
        assert group["name"] == f"/aws/containerinsights/{cluster}/{kind}"
        assert group["kms_key_id"].startswith("${aws_kms_key.")
        assert group["retention_in_days"] == observed.observability.log_retention_days
        assert f"aws_cloudwatch_log_group.{name}" in addon["depends_on"]


def test_without_observability_no_collector_add_on_is_installed() -> None:
    stack = cdktf.TerraformStack(cdktf.Testing.app(), "bare")
    cluster = ClusterOutputs(
        name="c",
        arn="arn:aws:eks:eu-west-1:111111111111:cluster/c",
        endpoint="e",
        certificate_authority="ca",
        security_group_id="sg",
        kubernetes_version="1.35",
    )
    addons = CoreAddons(
        stack, "addons", cluster=cluster, versions=addon_versions("1.35"), role_prefix="c", account_id="111111111111"
    )
    addons.add_after_nodes([])
    document = json.loads(cdktf.Testing.synth(stack))
    installed = {body["addon_name"] for body in document["resource"]["aws_eks_addon"].values()}
    assert installed.isdisjoint(OBSERVABILITY) and "coredns" in installed


def test_the_rotation_alarm_watches_the_function_the_data_stack_makes(
    stacks: dict[str, Document], observed: Environment
) -> None:
    """The two stacks derive the name apart (stacks/naming.py); an alarm on another name would never fire."""
    functions = resources(stacks[f"{observed.name}-data"], "aws_lambda_function").values()
    watched = {
        alarm["dimensions"]["FunctionName"]
        for alarm in resources(platform(stacks, observed), "aws_cloudwatch_metric_alarm").values()
        if alarm.get("namespace") == "AWS/Lambda"
    }
    assert watched == {function["function_name"] for function in functions}
