"""Traffic: the flows the design depends on, each evaluated against every NetworkPolicy
that will exist in the cluster (the app chart's, ours, Flux's own) and against the
security groups in the stacks. A flow that nothing admits is a violation.

Flows are derived from what is deployed, not listed by hand: every Ingress with pod-IP
targets brings "ALB → its pods" on the target port and on the health-check port;
every workload that receives the database credentials brings "pods → PostgreSQL";
every workload brings "pods → cluster DNS"; every pod with a Pod Identity association
brings "pods → AWS APIs"; every CI job whose stack calls the Kubernetes API brings
"runner → EKS API endpoint"; every Lambda function in the VPC that rotates a secret brings
"rotation function → PostgreSQL" and its way out to Secrets Manager. Beside the flows:
the NAT route of every private subnet, the Load Balancer Controller's backend security
group, and the readiness gate on every namespace with pod-IP Ingresses.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from stacks.config import plan_subnets
from stacks.config.subnets import SubnetPlan
from stacks.constructs.observability.scrape_config import API_SERVER_JOBS, API_SERVER_PORT, pod_targets
from system.facts import SystemFacts, Violation, release_values
from system.identity import kubernetes_stacks, pod_identity_associations
from system.inventory import Inventory, Pod, inventory
from system.network_policy import Addresses, Endpoint, admitted, matches
from system.terraform import referenced, remote_output, remote_stack, resolve, resources
from system.workflow_jobs import expanded_jobs

INVARIANT = "traffic"
INTERNET = ipaddress.IPv4Network("0.0.0.0/0")
HTTPS = 443
READINESS_GATE = "elbv2.k8s.aws/pod-readiness-gate-inject"


@dataclass(frozen=True)
class Flow:
    name: str
    source: Endpoint
    destination: Endpoint
    port: int
    protocol: str = "TCP"


def check(facts: SystemFacts) -> Iterator[Violation]:
    objects = inventory(facts)
    flows, problems = declared_flows(facts, objects)
    yield from problems
    reported: set[Violation] = set()
    for flow in flows:
        passes, why = admitted(objects, flow.source, flow.destination, flow.port, flow.protocol)
        violation = Violation(INVARIANT, f"{facts.env.name}: {flow.name}", f"dropped: {why}")
        if not passes and violation not in reported:
            reported.add(violation)  # one line per flow, whichever of its subnets it came from
            yield violation
    yield from _database_security_group(facts)
    yield from _alb_to_pods(facts, objects)
    yield from _routes_out(facts)
    yield from _ci_to_api(facts)
    yield from _rotation_to_database(facts)
    yield from _rotation_route_out(facts)
    yield from _scraper_flows(facts, objects)


def declared_flows(facts: SystemFacts, objects: Inventory) -> tuple[list[Flow], list[Violation]]:
    flows: list[Flow] = []
    problems: list[Violation] = []
    subnets = subnet_plan(facts)
    alb = [Addresses(f"ALB in public subnet {cidr}", cidr) for cidr in subnets.public]
    database = [Addresses(f"RDS in database subnet {cidr}", cidr) for cidr in subnets.database]
    for ingress in [o.body for o in facts.cluster.objects if o.body.get("kind") == "Ingress"]:
        found, missing = _ingress_flows(ingress, objects, alb)
        flows += found
        problems += missing
    db_port = int(facts.bridge_values.get("db_port", "5432"))
    for pod in _database_clients(facts, objects):
        flows += [Flow(f"{pod} → PostgreSQL:{db_port}", pod, subnet, db_port) for subnet in database]
    dns = [pod for pod in objects.pods if pod.namespace == "kube-system" and pod.labels.get("k8s-app") == "kube-dns"]
    for pod in [p for p in objects.pods if p.namespace != "kube-system"]:
        for server in dns:
            flows += [
                Flow(f"{pod} → cluster DNS {protocol}/53", pod, server, 53, protocol) for protocol in ("UDP", "TCP")
            ]
    aws = Addresses("AWS APIs", INTERNET)
    for _, namespace, account, _ in pod_identity_associations(facts):
        for pod in [p for p in objects.pods if (p.namespace, p.service_account) == (namespace, account)]:
            flows.append(Flow(f"{pod} → AWS APIs:443", pod, aws, HTTPS))
    return flows, problems


def subnet_plan(facts: SystemFacts) -> SubnetPlan:
    network = facts.env.network
    return plan_subnets(network.cidr, len(network.availability_zones), network.subnet_prefixes.model_dump())


def _ingress_flows(
    ingress: dict[str, Any], objects: Inventory, alb: list[Addresses]
) -> tuple[list[Flow], list[Violation]]:
    metadata = ingress["metadata"]
    namespace = metadata.get("namespace", "default")
    where = f"Ingress {namespace}/{metadata['name']}"
    annotations = metadata.get("annotations") or {}
    if annotations.get("alb.ingress.kubernetes.io/target-type") != "ip":
        return [], []
    flows, problems = [], []
    health = str(annotations.get("alb.ingress.kubernetes.io/healthcheck-port", "traffic-port"))
    for rule in ingress.get("spec", {}).get("rules", []):
        for path in rule.get("http", {}).get("paths", []):
            backend = path["backend"]["service"]
            service = objects.services.get((namespace, backend["name"]))
            if service is None:
                problems.append(Violation(INVARIANT, where, f"backend service {backend['name']} does not exist"))
                continue
            pods = [
                p
                for p in objects.pods
                if p.namespace == namespace and matches({"matchLabels": service.get("selector", {})}, p.labels)
            ]
            target = _target_port(service, backend["port"])
            if not pods or target is None:
                problems.append(Violation(INVARIANT, where, f"service {backend['name']} selects no pod port"))
                continue
            for pod in pods:
                port = pod.ports.get(target) if isinstance(target, str) else target
                if port is None:
                    problems.append(Violation(INVARIANT, where, f"pod {pod} has no port named {target}"))
                    continue
                check_port = (
                    port if health == "traffic-port" else pod.ports.get(health, int(health) if health.isdigit() else 0)
                )
                for subnet in alb:
                    flows.append(Flow(f"internet → ALB → {pod}:{port} ({where})", subnet, pod, port))
                    flows.append(Flow(f"ALB health check → {pod}:{check_port} ({where})", subnet, pod, check_port))
    return flows, problems


def _target_port(service: dict[str, Any], wanted: dict[str, Any]) -> int | str | None:
    for port in service.get("ports", []):
        if ("number" in wanted and port.get("port") == wanted["number"]) or port.get("name") == wanted.get("name"):
            target = port.get("targetPort", port.get("port"))
            return int(target) if isinstance(target, int) or str(target).isdigit() else str(target)
    return None


def _database_clients(facts: SystemFacts, objects: Inventory) -> list[Pod]:
    """Workloads that mount the Secret External Secrets fills from the app's database credential."""
    secret_arn = facts.bridge_values.get("db_secret_arn")
    filled = {
        (
            o.body["metadata"].get("namespace", ""),
            o.body["spec"].get("target", {}).get("name", o.body["metadata"]["name"]),
        )
        for o in facts.cluster.objects
        if o.body.get("kind") == "ExternalSecret"
        and any(d.get("remoteRef", {}).get("key") == secret_arn for d in o.body.get("spec", {}).get("data", []))
    }
    return [
        pod
        for pod in objects.pods
        if any(
            (pod.namespace, volume.get("secret", {}).get("secretName")) in filled
            for volume in pod.spec.get("volumes", [])
        )
    ]


def _database_security_group(facts: SystemFacts) -> Iterator[Violation]:
    """Pods use the cluster security group (no security groups for pods here): RDS must admit it."""
    data = facts.stack("data")
    port = int(facts.bridge_values.get("db_port", "5432"))
    for body in resources(data, "aws_vpc_security_group_ingress_rule").values():
        source = body.get("referenced_security_group_id")
        if (
            remote_stack(source) == facts.stack_name("cluster")
            and "cluster_security_group_id" in str(source)
            and int(body.get("from_port", -1)) <= port <= int(body.get("to_port", -1))
        ):
            return
    yield Violation(
        INVARIANT,
        facts.stack_name("data"),
        f"no security group rule admits the cluster security group to PostgreSQL on {port}",
    )


def _alb_to_pods(facts: SystemFacts, objects: Inventory) -> Iterator[Violation]:
    """With pod-IP targets the Load Balancer Controller opens the pods' security group to the
    ALB (its backend security group), and holds a rollout until the new pod is healthy in
    the target group — the latter only in namespaces labelled for its readiness gate
    (https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/pod_readiness_gate/)."""
    ingresses = [
        o.body
        for o in facts.cluster.objects
        if o.body.get("kind") == "Ingress"
        and (o.body["metadata"].get("annotations") or {}).get("alb.ingress.kubernetes.io/target-type") == "ip"
    ]
    if not ingresses:
        return
    controller = release_values(facts.stack("platform"), "aws-load-balancer-controller")
    if controller.get("enableBackendSecurityGroup") is False:
        yield Violation(
            INVARIANT,
            facts.stack_name("platform"),
            "aws-load-balancer-controller: enableBackendSecurityGroup is false, so no rule opens the pods to the ALB",
        )
    for namespace in sorted({i["metadata"].get("namespace", "default") for i in ingresses}):
        if objects.namespaces.get(namespace, {}).get(READINESS_GATE) != "enabled":
            yield Violation(
                INVARIANT,
                f"{facts.env.name}: Namespace {namespace}",
                f"holds pod-IP Ingresses but lacks the label {READINESS_GATE}=enabled: every rollout drops traffic",
            )


def _routes_out(facts: SystemFacts) -> Iterator[Violation]:
    """Pods, controllers, the CI runner and the rotation function live in the private subnets
    and reach AWS APIs, ECR and GitHub only through a NAT gateway: each private subnet's
    route table needs it."""
    network = facts.stack("network")
    private = {str(cidr) for cidr in subnet_plan(facts).private}
    subnets = {name: str(body.get("cidr_block")) for name, body in resources(network, "aws_subnet").items()}
    through_nat = {
        str(body.get("route_table_id"))
        for body in resources(network, "aws_route").values()
        if body.get("destination_cidr_block") == "0.0.0.0/0" and body.get("nat_gateway_id")
    }
    routed = {
        subnets.get(str(body.get("subnet_id")).split(".")[1], "")
        for body in resources(network, "aws_route_table_association").values()
        if str(body.get("route_table_id")) in through_nat and str(body.get("subnet_id")).startswith("${aws_subnet.")
    }
    for cidr in sorted(private - routed):
        yield Violation(
            INVARIANT,
            facts.stack_name("network"),
            f"private subnet {cidr} has no default route through a NAT gateway: its pods and the CI runner "
            "cannot reach AWS APIs, ECR or GitHub",
        )


def _ci_to_api(facts: SystemFacts) -> Iterator[Violation]:
    """Every CI job whose stack calls the Kubernetes API runs where the API endpoint admits it."""
    runners = _vpc_runners(facts)
    public = [str(cidr) for cidr in facts.env.cluster.public_access_cidrs]
    for job in expanded_jobs(facts.workflows, [facts.env]):
        for stack in kubernetes_stacks(facts):
            if not job.touches(stack):
                continue
            runner = next((name for name in runners if job.runs_on.startswith(f"codebuild-{name}-")), None)
            if runner is None:
                yield Violation(
                    INVARIANT,
                    str(job),
                    f"runs {stack} on '{job.runs_on}', which cannot reach the EKS API: the public endpoint admits only "
                    f"{', '.join(public) or 'nobody'} and the private one only the VPC; run it on the in-VPC runner",
                )
            elif runners[runner]:
                yield Violation(INVARIANT, str(job), f"runner {runner} is in the VPC, but {runners[runner]}")


def _vpc_runners(facts: SystemFacts) -> dict[str, str | None]:
    """CodeBuild projects in the VPC → what keeps them from the cluster API on 443 (None: nothing)."""
    cluster = facts.stack("cluster")
    admitted_groups = {
        str(body.get("referenced_security_group_id"))
        for body in resources(cluster, "aws_vpc_security_group_ingress_rule").values()
        if "cluster_security_group_id" in str(body.get("security_group_id")) and _covers_https(body)
    }
    leaving_groups = {
        str(body.get("security_group_id"))
        for body in resources(cluster, "aws_vpc_security_group_egress_rule").values()
        if _covers_https(body)
        and (
            "cluster_security_group_id" in str(body.get("referenced_security_group_id"))
            or facts.env.network.cidr.subnet_of(ipaddress.IPv4Network(str(body.get("cidr_ipv4") or "0.0.0.0/32")))
        )
    }
    runners: dict[str, str | None] = {}
    for body in resources(cluster, "aws_codebuild_project").values():
        vpc = body.get("vpc_config")
        vpc = vpc[0] if isinstance(vpc, list) and vpc else vpc
        if not isinstance(vpc, dict):
            continue
        groups = {str(group) for group in vpc.get("security_group_ids", [])}
        runners[str(resolve(cluster, body.get("name")))] = (
            "no rule admits its security group to the cluster API on 443"
            if not groups & admitted_groups
            else "its security group lets nothing out to the cluster API on 443"
            if not groups & leaving_groups
            else None
        )
    return runners


def _covers_https(rule: dict[str, Any]) -> bool:
    return _covers(rule, HTTPS)


def _covers(rule: dict[str, Any], port: int) -> bool:
    if str(rule.get("ip_protocol")) == "-1":
        return True
    return str(rule.get("ip_protocol")) in ("tcp", "6") and int(rule.get("from_port", -1)) <= port <= int(
        rule.get("to_port", -1)
    )


def _rotation_functions(facts: SystemFacts) -> list[tuple[str, dict[str, Any]]]:
    """(name, vpc_config) of every function of the data stack that rotates a secret from the VPC."""
    data = facts.stack("data")
    rotating = {
        str(body.get("rotation_lambda_arn")) for body in resources(data, "aws_secretsmanager_secret_rotation").values()
    }
    found = []
    for name, body in resources(data, "aws_lambda_function").items():
        vpc = body.get("vpc_config")
        vpc = vpc[0] if isinstance(vpc, list) and vpc else vpc
        if f"${{aws_lambda_function.{name}.arn}}" in rotating and isinstance(vpc, dict):
            found.append((str(body.get("function_name")), vpc))
    return found


def _rotation_to_database(facts: SystemFacts) -> Iterator[Violation]:
    """The rotation function logs in to PostgreSQL: its security group lets it out to the
    database's, and the database's admits it."""
    data = facts.stack("data")
    port = int(facts.bridge_values.get("db_port", "5432"))
    database = {
        str(group)
        for body in resources(data, "aws_db_instance").values()
        for group in body.get("vpc_security_group_ids", [])
    }
    egress = list(resources(data, "aws_vpc_security_group_egress_rule").values())
    ingress = list(resources(data, "aws_vpc_security_group_ingress_rule").values())
    for name, vpc in _rotation_functions(facts):
        own = {str(group) for group in vpc.get("security_group_ids", [])}
        where = f"{facts.stack_name('data')}: rotation function {name} → PostgreSQL:{port}"
        if not any(_links(rule, own, database, port) for rule in egress):
            yield Violation(
                INVARIANT, where, f"dropped: its security group lets nothing out to the database's on {port}"
            )
        if not any(_links(rule, database, own, port) for rule in ingress):
            yield Violation(
                INVARIANT, where, f"dropped: no rule of the database's security group admits the function's on {port}"
            )


def _links(rule: dict[str, Any], groups: set[str], others: set[str], port: int) -> bool:
    """The rule, of one of `groups`, names one of `others` and covers `port`."""
    return (
        str(rule.get("security_group_id")) in groups
        and str(rule.get("referenced_security_group_id")) in others
        and _covers(rule, port)
    )


def _rotation_route_out(facts: SystemFacts) -> Iterator[Violation]:
    """The rotation function calls Secrets Manager's public endpoint: it runs in private subnets
    (whose NAT routes `_routes_out` checks) and its security group lets HTTPS out."""
    data = facts.stack("data")
    private = {str(cidr) for cidr in subnet_plan(facts).private}
    egress = list(resources(data, "aws_vpc_security_group_egress_rule").values())
    for name, vpc in _rotation_functions(facts):
        where = f"{facts.stack_name('data')}: rotation function {name}"
        for subnet in vpc.get("subnet_ids", []):
            cidr = _subnet_cidr(facts, subnet)
            if cidr not in private:
                yield Violation(
                    INVARIANT,
                    where,
                    f"runs in subnet {cidr or subnet}, which is not a private subnet: no NAT route to Secrets Manager",
                )
        own = {str(group) for group in vpc.get("security_group_ids", [])}
        if not any(
            str(rule.get("security_group_id")) in own
            and INTERNET.subnet_of(ipaddress.IPv4Network(str(rule.get("cidr_ipv4") or "0.0.0.0/32")))
            and _covers_https(rule)
            for rule in egress
        ):
            yield Violation(INVARIANT, where, "its security group lets nothing out to Secrets Manager on 443")


def _subnet_cidr(facts: SystemFacts, subnet: object) -> str | None:
    """The address range of a network-stack subnet named through a stack reference."""
    found = remote_output(facts.stacks, subnet)
    if found is None or found[0] != facts.stack_name("network"):
        return None
    target = referenced(facts.stack("network"), found[1])
    return str(target[1].get("cidr_block")) if target and target[0] == "aws_subnet" else None


def _scraper_flows(facts: SystemFacts, objects: Inventory) -> Iterator[Violation]:
    """The AMP managed collector scrapes from ENIs in the private subnets with a security
    group of its own: every pod port its configuration keeps (derived from the synthesized
    configuration and what will run) must be admitted by the NetworkPolicies, those the
    platform stack applies included, and every port, the API server's too, by the cluster
    security group that the control plane and all pods use."""
    platform = facts.stack("platform")
    scoped = dataclasses.replace(
        objects,
        network_policies=[
            *objects.network_policies,
            *(_kubernetes_policy(body) for body in resources(platform, "kubernetes_network_policy_v1").values()),
        ],
    )
    into_cluster = [
        rule
        for rule in resources(platform, "aws_vpc_security_group_ingress_rule").values()
        if "cluster_security_group_id" in str(rule.get("security_group_id"))
    ]
    out_of_scraper = list(resources(platform, "aws_vpc_security_group_egress_rule").values())
    private = subnet_plan(facts).private
    for body in resources(platform, "aws_prometheus_scraper").values():
        eks = _first(_first(body.get("source")).get("eks"))
        groups = {str(group) for group in eks.get("security_group_ids", [])}
        configuration = yaml.safe_load(str(body.get("scrape_configuration")))
        jobs = [str(job["job_name"]) for job in configuration.get("scrape_configs", [])]
        targets: list[tuple[str, Pod | None, int]] = [
            (job, None, API_SERVER_PORT) for job in API_SERVER_JOBS if job in jobs
        ]
        targets += [
            (job, pod, port) for job, pod, port in pod_targets(configuration, objects.pods) if isinstance(pod, Pod)
        ]
        for job, pod, port in targets:
            where = f"{facts.env.name}: AMP scraper → {pod or 'Kubernetes API'}:{port} (job {job})"
            if not any(str(r.get("referenced_security_group_id")) in groups and _covers(r, port) for r in into_cluster):
                yield Violation(
                    INVARIANT, where, f"dropped: no rule of the cluster security group admits the scraper's on {port}"
                )
            if not any(
                str(r.get("security_group_id")) in groups
                and "cluster_security_group_id" in str(r.get("referenced_security_group_id"))
                and _covers(r, port)
                for r in out_of_scraper
            ):
                yield Violation(
                    INVARIANT,
                    where,
                    f"dropped: the scraper's security group lets nothing out to the cluster's on {port}",
                )
            reasons: set[str] = set()  # one line per reason, whichever subnet the scraper's ENI is in
            for cidr in private:
                if pod is None:
                    break
                passes, why = admitted(scoped, Addresses(f"AMP scraper in private subnet {cidr}", cidr), pod, port)
                if not passes:
                    reasons.add(why)
            yield from (Violation(INVARIANT, where, f"dropped: {why}") for why in sorted(reasons))


def _first(value: Any) -> dict[str, Any]:
    """A Terraform block, synthesized as a list of one or as the block itself."""
    if isinstance(value, list):
        return dict(value[0]) if value else {}
    return dict(value or {})


def _kubernetes_policy(body: dict[str, Any]) -> dict[str, Any]:
    """A kubernetes_network_policy_v1 resource as the NetworkPolicy object it applies."""
    metadata, spec = _first(body.get("metadata")), _first(body.get("spec"))

    def peer(entry: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if entry.get("ip_block"):
            block = _first(entry["ip_block"])
            found["ipBlock"] = {"cidr": block["cidr"], "except": list(block.get("except") or [])}
        for key, name in (("namespace_selector", "namespaceSelector"), ("pod_selector", "podSelector")):
            if key in entry:
                found[name] = {"matchLabels": dict(_first(entry[key]).get("match_labels") or {})}
        return found

    def rules(direction: str, peers: str) -> list[dict[str, Any]]:
        return [
            {
                peers: [peer(entry) for entry in rule.get(peers) or []],
                "ports": [
                    {
                        "port": int(p["port"]) if str(p.get("port", "")).isdigit() else p.get("port"),
                        "protocol": p.get("protocol", "TCP"),
                    }
                    for p in rule.get("ports") or []
                ],
            }
            for rule in spec.get(direction) or []
        ]

    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": metadata.get("name"), "namespace": metadata.get("namespace")},
        "spec": {
            "podSelector": {"matchLabels": dict(_first(spec.get("pod_selector")).get("match_labels") or {})},
            "policyTypes": list(spec.get("policy_types") or []),
            "ingress": rules("ingress", "from"),
            "egress": rules("egress", "to"),
        },
    }
