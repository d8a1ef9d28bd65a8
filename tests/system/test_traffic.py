"""Traffic invariant: each planted defect is reported with its exact line."""

from __future__ import annotations

import json
from typing import Any

from system import traffic
from system.facts import SystemFacts
from system.workflow_jobs import expanded_jobs
from tests.system.conftest import FactsFactory

FLUX_POLICIES = "flux-system/allow-egress, flux-system/allow-scraping, flux-system/allow-webhooks"


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in traffic.check(facts)]


def objects(facts: SystemFacts, kind: str, namespace: str) -> list[dict[str, Any]]:
    return [
        o.body
        for o in facts.cluster.objects
        if o.body.get("kind") == kind and o.body["metadata"].get("namespace") == namespace
    ]


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_the_webhook_without_its_network_policy_is_dropped_by_fluxs_own(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    facts.cluster.objects = [
        o
        for o in facts.cluster.objects
        if not (o.body["kind"] == "NetworkPolicy" and o.body["metadata"].get("namespace") == "flux-system")
    ]
    where = "dev: {} → flux-system/notification-controller:{} (Ingress flux-system/flux-webhook): traffic: dropped"
    why = f"ingress of flux-system/notification-controller is limited by {FLUX_POLICIES} and none of them admits it"
    assert lines(facts) == [
        f"{where.format('internet → ALB', 9292)}: {why}",
        f"{where.format('ALB health check', 9440)}: {why}",
    ]


def test_app_pods_closed_to_the_alb_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    [policy] = objects(facts, "NetworkPolicy", "guestbook")
    policy["spec"]["ingress"][0]["from"][0]["ipBlock"]["cidr"] = "10.99.0.0/16"
    why = "dropped: ingress of guestbook/guestbook is limited by guestbook/guestbook and none of them admits it"
    assert lines(facts) == [
        f"prod: internet → ALB → guestbook/guestbook:8080 (Ingress guestbook/guestbook): traffic: {why}",
        f"prod: ALB health check → guestbook/guestbook:8080 (Ingress guestbook/guestbook): traffic: {why}",
    ]


def test_app_pods_without_dns_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [policy] = objects(facts, "NetworkPolicy", "guestbook")
    policy["spec"]["egress"] = [rule for rule in policy["spec"]["egress"] if "namespaceSelector" not in rule["to"][0]]
    why = "dropped: egress of guestbook/guestbook is limited by guestbook/guestbook and none of them admits it"
    assert lines(facts) == [
        f"dev: guestbook/guestbook → cluster DNS UDP/53: traffic: {why}",
        f"dev: guestbook/guestbook → cluster DNS TCP/53: traffic: {why}",
    ]


def test_app_pods_without_the_database_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [policy] = objects(facts, "NetworkPolicy", "guestbook")
    for rule in policy["spec"]["egress"]:
        for port in rule.get("ports", []):
            if port["port"] == 5432:
                port["port"] = 5433
    assert lines(facts) == [
        "dev: guestbook/guestbook → PostgreSQL:5432: traffic: dropped: egress of guestbook/guestbook "
        "is limited by guestbook/guestbook and none of them admits it"
    ]


def test_rds_closed_to_the_cluster_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    rules = data_rules(facts, "aws_vpc_security_group_ingress_rule")
    del rules[rule_at(rules, "postgres/from-cluster")]
    assert lines(facts) == [
        "dev-data: traffic: no security group rule admits the cluster security group to PostgreSQL on 5432"
    ]


def data_rules(facts: SystemFacts, kind: str) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = facts.stack("data")["resource"][kind]
    return rules


def rule_at(rules: dict[str, dict[str, Any]], path: str) -> str:
    [name] = [n for n, body in rules.items() if body["//"]["metadata"]["path"].endswith("/" + path)]
    return name


ROTATION = "dev-data: rotation function acme-dev-app-credential-rotation"


def test_rds_closed_to_the_rotation_function_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    rules = data_rules(facts, "aws_vpc_security_group_ingress_rule")
    del rules[rule_at(rules, "app-credential/rotation/database-from-function")]
    assert lines(facts) == [
        f"{ROTATION} → PostgreSQL:5432: traffic: dropped: no rule of the database's security group admits "
        "the function's on 5432"
    ]


def test_a_rotation_function_that_cannot_leave_for_the_database_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    rules = data_rules(facts, "aws_vpc_security_group_egress_rule")
    rules[rule_at(rules, "app-credential/rotation/to-database")]["to_port"] = 5431
    assert lines(facts) == [
        "prod-data: rotation function acme-prod-app-credential-rotation → PostgreSQL:5432: traffic: dropped: "
        "its security group lets nothing out to the database's on 5432"
    ]


def test_a_rotation_function_in_an_isolated_subnet_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [function] = facts.stack("data")["resource"]["aws_lambda_function"].values()
    [database_subnet, _] = only_data(facts, "aws_db_subnet_group")["subnet_ids"]
    function["vpc_config"]["subnet_ids"][0] = database_subnet
    cidr = str(traffic.subnet_plan(facts).database[0])
    assert lines(facts) == [
        f"{ROTATION}: traffic: runs in subnet {cidr}, which is not a private subnet: no NAT route to Secrets Manager"
    ]


def test_a_rotation_function_without_https_out_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    rules = data_rules(facts, "aws_vpc_security_group_egress_rule")
    del rules[rule_at(rules, "app-credential/rotation/to-https")]
    assert lines(facts) == [f"{ROTATION}: traffic: its security group lets nothing out to Secrets Manager on 443"]


def only_data(facts: SystemFacts, kind: str) -> dict[str, Any]:
    [body] = facts.stack("data")["resource"][kind].values()
    return dict(body)


def test_a_cluster_job_on_a_github_hosted_runner_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    workflow = facts.workflows[".github/workflows/deploy.yml"]
    [job] = [
        job
        for job in expanded_jobs({".github/workflows/deploy.yml": workflow}, [facts.env])
        if job.touches("dev-platform") and job.applies
    ]
    workflow["jobs"][job.job_id]["runs-on"] = "ubuntu-24.04"
    assert lines(facts) == [
        f"{job}: traffic: runs dev-platform on 'ubuntu-24.04', which cannot "
        "reach the EKS API: the public endpoint admits only 203.0.113.0/24 and the private one only the VPC; "
        "run it on the in-VPC runner"
    ]


def test_a_runner_the_cluster_does_not_admit_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    rules = facts.stack("cluster")["resource"]["aws_vpc_security_group_ingress_rule"]
    for name in [n for n, b in rules.items() if "cluster_security_group_id" in str(b["security_group_id"])]:
        del rules[name]
    jobs = [str(j) for j in expanded_jobs(facts.workflows, [facts.env]) if j.touches("prod-platform")]
    assert jobs
    assert lines(facts) == [
        f"{job}: traffic: runner acme-prod-ci-runner is in the VPC, but no rule admits its security group "
        "to the cluster API on 443"
        for job in jobs
    ]


def test_a_private_subnet_without_a_nat_route_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    routes = facts.stack("network")["resource"]["aws_route"]
    [name] = [n for n, b in routes.items() if "private-eu-west-1b" in b["route_table_id"]]
    del routes[name]
    [cidr] = [str(c) for c in traffic.subnet_plan(facts).private if str(c).startswith("10.20.32.")]
    assert lines(facts) == [
        f"prod-network: traffic: private subnet {cidr} has no default route through a NAT gateway: its pods and "
        "the CI runner cannot reach AWS APIs, ECR or GitHub"
    ]


def test_a_controller_that_does_not_open_the_pods_to_the_alb_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    for body in facts.stack("platform")["resource"]["helm_release"].values():
        if body["name"] == "aws-load-balancer-controller":
            values = json.loads(body["values"][0])
            body["values"] = [json.dumps({**values, "enableBackendSecurityGroup": False})]
    assert lines(facts) == [
        "dev-platform: traffic: aws-load-balancer-controller: enableBackendSecurityGroup is false, "
        "so no rule opens the pods to the ALB"
    ]


def test_pod_ip_ingresses_without_the_readiness_gate_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [namespace] = [o.body for o in facts.cluster.objects if o.body["kind"] == "Namespace"]
    del namespace["metadata"]["labels"][traffic.READINESS_GATE]
    [flux_system] = facts.stack("platform")["resource"]["kubernetes_namespace_v1"].values()
    del flux_system["metadata"]["labels"][traffic.READINESS_GATE]
    gap = f"holds pod-IP Ingresses but lacks the label {traffic.READINESS_GATE}=enabled: every rollout drops traffic"
    assert lines(facts) == [
        f"dev: Namespace flux-system: traffic: {gap}",
        f"dev: Namespace guestbook: traffic: {gap}",
    ]


def test_a_runner_that_cannot_leave_its_security_group_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    facts.stack("cluster")["resource"]["aws_vpc_security_group_egress_rule"] = {}
    jobs = [str(j) for j in expanded_jobs(facts.workflows, [facts.env]) if j.touches("dev-platform")]
    assert jobs
    assert lines(facts) == [
        f"{job}: traffic: runner acme-dev-ci-runner is in the VPC, but its security group lets nothing out "
        "to the cluster API on 443"
        for job in jobs
    ]
