"""The AMP managed collector in the system model: its access to the cluster (identity) and
its way to every target (traffic), each planted defect reported with its exact line."""

from __future__ import annotations

from typing import Any

from system import identity, traffic
from system.facts import SystemFacts
from system.terraform import construct_path, resources
from tests.system.conftest import FactsFactory

SCRAPER = "dev-platform: AMP scraper acme-dev-eks"


def identity_lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in identity.check(facts)]


def traffic_lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in traffic.check(facts)]


def by_path(facts: SystemFacts, part: str, kind: str, suffix: str) -> tuple[str, dict[str, Any]]:
    [found] = [(n, b) for n, b in resources(facts.stack(part), kind).items() if construct_path(b).endswith(suffix)]
    return found


def test_the_collector_reaches_every_target_of_the_examples(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        facts = system_facts(name)
        assert [line for line in traffic_lines(facts) if "AMP scraper" in line] == []
        assert [line for line in identity_lines(facts) if "scraper" in line] == []


def test_a_cluster_without_access_entries_leaves_the_scraper_unauthorized(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [cluster] = resources(facts.stack("cluster"), "aws_eks_cluster").values()
    cluster["access_config"]["authentication_mode"] = "CONFIG_MAP"
    assert [line for line in identity_lines(facts) if "scraper" in line] == [
        f"{SCRAPER}: identity: the cluster's authentication mode is CONFIG_MAP: AMP creates no access entry for the "
        "scraper and every scrape through the API server is Unauthorized"
    ]


def test_an_access_entry_of_our_own_for_the_scraper_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    name, _ = by_path(facts, "platform", "aws_prometheus_scraper", "/scraper/scraper")
    facts.stack("platform")["resource"]["aws_eks_access_entry"] = {
        "scraper": {"cluster_name": "acme-dev-eks", "principal_arn": f"${{aws_prometheus_scraper.{name}.role_arn}}"}
    }
    assert identity_lines(facts) == [
        "dev-platform: access entry for AMP scraper acme-dev-eks: identity: AMP creates this principal's entry "
        "itself; a second one fails the apply"
    ]


def test_the_container_insights_role_is_held_to_its_own_namespace(system_facts: FactsFactory) -> None:
    """The add-on runs in amazon-cloudwatch, not kube-system: the association is checked there."""
    facts = system_facts("prod")
    _, trust = by_path(facts, "cluster", "aws_iam_role", "addons/amazon-cloudwatch-observability-role/role")
    document = trust["assume_role_policy"].split(".")[2]
    [statement] = facts.stack("cluster")["data"]["aws_iam_policy_document"][document]["statement"]
    for condition in statement["condition"]:
        if condition["variable"] == "aws:RequestTag/kubernetes-namespace":
            condition["values"] = ["kube-system"]
    assert identity_lines(facts) == [
        "prod-cluster: Pod Identity amazon-cloudwatch/cloudwatch-agent: role acme-prod-eks-amazon-cloudwatch-"
        "observability: identity: trust needs StringEquals aws:RequestTag/kubernetes-namespace = amazon-cloudwatch"
    ]


def test_flux_drops_the_collector_without_the_platform_stacks_policy(system_facts: FactsFactory) -> None:
    """flux-operator's allow-scraping admits 8080 from pods only; the collector is no pod."""
    facts = system_facts("dev")
    del facts.stack("platform")["resource"]["kubernetes_network_policy_v1"]
    dropped = [line for line in traffic_lines(facts) if "AMP scraper" in line]
    targets = {line.split(": traffic: ")[0] for line in dropped}
    assert targets == {
        "dev: AMP scraper → flux-system/flux-operator:8080 (job flux-operator)",
        *(
            f"dev: AMP scraper → flux-system/{controller}:8080 (job flux-controllers)"
            for controller in facts.flux_components
        ),
    }
    for line in dropped:
        assert "flux-system/allow-scraping" in line and line.endswith("and none of them admits it"), line


def test_a_port_the_cluster_security_group_does_not_open_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    name, _ = by_path(facts, "platform", "aws_vpc_security_group_ingress_rule", "scraper/into-cluster-443")
    del facts.stack("platform")["resource"]["aws_vpc_security_group_ingress_rule"][name]
    assert [line for line in traffic_lines(facts) if "AMP scraper" in line] == [
        f"prod: AMP scraper → Kubernetes API:443 (job {job}): traffic: dropped: no rule of the cluster security "
        "group admits the scraper's on 443"
        for job in ("kubernetes-apiservers", "kubelet", "cadvisor")
    ]


def test_a_scraper_security_group_that_lets_nothing_out_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    name, _ = by_path(facts, "platform", "aws_vpc_security_group_egress_rule", "scraper/to-cluster-8080")
    del facts.stack("platform")["resource"]["aws_vpc_security_group_egress_rule"][name]
    dropped = [line for line in traffic_lines(facts) if "AMP scraper" in line]
    assert dropped and all(
        line.endswith("dropped: the scraper's security group lets nothing out to the cluster's on 8080")
        for line in dropped
    )
    assert "dev: AMP scraper → kube-state-metrics/kube-state-metrics:8080 (job kube-state-metrics)" in {
        line.split(": traffic:")[0] for line in dropped
    }


def test_app_network_policy_without_the_metrics_rule_is_reported(system_facts: FactsFactory) -> None:
    """The collector has no pod: only the app policy's rule for the VPC on the metrics
    port lets it in. Without that rule the app's metrics are dropped."""
    facts = system_facts("dev")
    for obj in facts.cluster.objects:
        body = obj.body
        if body.get("kind") == "NetworkPolicy" and body["metadata"].get("namespace") == "guestbook":
            body["spec"]["ingress"] = [
                rule for rule in body["spec"]["ingress"] if all(port["port"] != 9090 for port in rule["ports"])
            ]
    assert [line for line in traffic_lines(facts) if "AMP scraper" in line] == [
        "dev: AMP scraper → guestbook/guestbook:9090 (job guestbook): traffic: dropped: ingress of "
        "guestbook/guestbook is limited by guestbook/guestbook and none of them admits it"
    ]
