"""Identity: every principal that calls the Kubernetes API has an access entry that fits
what it does, and every pod that calls AWS gets credentials it can actually assume.

- The deploy workflow's role applies Helm releases and Kubernetes objects: cluster admin.
- The plan and drift workflows' role only plans, but the Helm provider reads release
  state from Secrets: AmazonEKSAdminViewPolicy (view, Secrets included), nothing more.
- The admin principals of the environment file: cluster admin.
- A Pod Identity association names a namespace and service account that exist, and its
  role trusts exactly that pair on this cluster through the session tags EKS Pod
  Identity sets (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
- A Lambda function's role trusts lambda.amazonaws.com, and every AWS service allowed
  to invoke a function is held to one resource (`source_arn`) of this account
  (`source_account`): otherwise any customer's resource of that service could make it
  run (the confused deputy).
- An AMP managed collector gets its access entry from AMP, which creates it only for a
  cluster whose authentication mode takes access entries; no stack may create another
  for the scraper's role, since EKS allows one per principal and the apply would fail
  (https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from system import upstream_facts
from system.facts import SystemFacts, Violation
from system.inventory import inventory
from system.terraform import construct_path, policy_statements, referenced, resolve, resources
from system.workflow_jobs import expanded_jobs

INVARIANT = "identity"
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN = POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
ADMIN_VIEW = POLICY_PREFIX + "AmazonEKSAdminViewPolicy"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


LAMBDA_SERVICE = "lambda.amazonaws.com"


def check(facts: SystemFacts) -> Iterator[Violation]:
    yield from _kubernetes_callers(facts)
    yield from _pod_identities(facts)
    yield from _functions(facts)
    yield from _scrapers(facts)


def access_policies(facts: SystemFacts) -> dict[str, set[str]]:
    """Principal ARN → the access policies associated with it, cluster-wide."""
    cluster = facts.stack("cluster")
    found: dict[str, set[str]] = {
        str(body.get("principal_arn")): set() for body in resources(cluster, "aws_eks_access_entry").values()
    }
    for body in resources(cluster, "aws_eks_access_policy_association").values():
        principal = str(resolve(cluster, body.get("principal_arn")))
        if principal in found and (body.get("access_scope") or {}).get("type") == "cluster":
            found[principal].add(str(body.get("policy_arn")))
    return found


def ci_roles(facts: SystemFacts) -> dict[str, str]:
    """`deploy`/`plan` → the ARN of the bootstrap stack's GitHub role for it."""
    roles = {}
    for body in resources(facts.stack("bootstrap"), "aws_iam_role").values():
        for kind in ("deploy", "plan"):
            if construct_path(body).endswith(f"/github/{kind}/role"):
                roles[kind] = f"arn:aws:iam::{facts.env.account_id}:role/{body['name']}"
    return roles


def _kubernetes_callers(facts: SystemFacts) -> Iterator[Violation]:
    granted = access_policies(facts)
    roles = ci_roles(facts)
    cluster_stack = facts.stack_name("cluster")
    callers: dict[str, tuple[str, str]] = {}  # principal → (needed policy, the first job that needs it)
    for job in expanded_jobs(facts.workflows, [facts.env]):
        for stack in [s for s in kubernetes_stacks(facts) if job.touches(s)]:
            kind = job.ci_role(roles)
            if kind is None or kind not in roles:
                yield Violation(INVARIANT, str(job), f"calls the Kubernetes API of {stack} with no known CI role")
                continue
            principal, needed = roles[kind], ADMIN if job.applies else ADMIN_VIEW
            # The strongest need decides; the first job that has it is named.
            if principal not in callers or (needed == ADMIN and callers[principal][0] != ADMIN):
                callers[principal] = (needed, str(job))
    for principal in facts.env.cluster.admin_principal_arns:
        callers.setdefault(principal, (ADMIN, "cluster.admin_principal_arns"))
    for principal, (needed, who) in sorted(callers.items()):
        policies = granted.get(principal)
        short = needed.removeprefix(POLICY_PREFIX)
        if policies is None:
            yield Violation(
                INVARIANT,
                cluster_stack,
                f"{principal} ({who}) has no access entry; it needs {short} and gets Unauthorized",
            )
        elif needed not in policies:
            have = ", ".join(sorted(p.removeprefix(POLICY_PREFIX) for p in policies)) or "no access policy"
            yield Violation(INVARIANT, cluster_stack, f"{principal} ({who}) needs {short}, has {have}")
    plan_role = roles.get("plan")
    if plan_role and granted.get(plan_role, set()) - {ADMIN_VIEW}:
        extra = sorted(p.removeprefix(POLICY_PREFIX) for p in granted[plan_role] - {ADMIN_VIEW})
        yield Violation(INVARIANT, cluster_stack, f"{plan_role} (plan and drift) may only view, has {', '.join(extra)}")


def kubernetes_stacks(facts: SystemFacts) -> list[str]:
    """Stacks of this environment whose providers call the Kubernetes API."""
    return [
        name
        for name, document in facts.stacks.items()
        if name.startswith(f"{facts.env.name}-") and {"helm", "kubernetes"} & set(document.get("provider", {}))
    ]


def _pod_identities(facts: SystemFacts) -> Iterator[Violation]:
    objects = inventory(facts)
    for stack, namespace, account, role_arn in pod_identity_associations(facts):
        where = f"{stack}: Pod Identity {namespace}/{account}"
        if (namespace, account) not in objects.service_accounts:
            yield Violation(INVARIANT, where, "no such service account among the objects that will be in the cluster")
        role = referenced(facts.stacks[stack], role_arn)
        if role is None or role[0] != "aws_iam_role":
            yield Violation(
                INVARIANT, where, f"role {role_arn} is not a role of this stack; its trust cannot be checked"
            )
            continue
        statements = policy_statements(facts.stacks[stack], role[1].get("assume_role_policy"))
        for problem in trust_problems(
            statements, account_id=facts.env.account_id, namespace=namespace, account=account
        ):
            yield Violation(INVARIANT, f"{where}: role {role[1].get('name')}", problem)


def pod_identity_associations(facts: SystemFacts) -> Iterator[tuple[str, str, str, Any]]:
    """(stack, namespace, service account, role ARN) of every Pod Identity association."""
    for part in ("cluster", "platform"):
        stack = facts.stack_name(part)
        document = facts.stack(part)
        for body in resources(document, "aws_eks_pod_identity_association").values():
            yield stack, str(body["namespace"]), str(body["service_account"]), body["role_arn"]
        for body in resources(document, "aws_eks_addon").values():
            for association in body.get("pod_identity_association") or []:
                # EKS add-ons run their service accounts in kube-system unless their page says otherwise.
                workload = upstream_facts.EKS_ADDON_WORKLOADS.get(str(body.get("addon_name")))
                namespace = workload[0] if workload else "kube-system"
                yield stack, namespace, str(association["service_account"]), association["role_arn"]


def trust_problems(statements: list[dict[str, Any]], *, account_id: str, namespace: str, account: str) -> list[str]:
    """What keeps EKS Pod Identity from assuming the role for exactly this service account."""
    trusting = [
        s
        for s in statements
        if s.get("effect", "Allow") == "Allow"
        and any(POD_IDENTITY_SERVICE in p.get("identifiers", []) for p in s.get("principals") or [])
    ]
    if not trusting:
        return [f"does not trust {POD_IDENTITY_SERVICE}"]
    statement = trusting[0]
    problems = []
    missing = {"sts:AssumeRole", "sts:TagSession"} - set(statement.get("actions", []))
    if missing:
        problems.append(f"trust lacks {', '.join(sorted(missing))}")
    conditions = {(c["variable"], c["test"]): list(c["values"]) for c in statement.get("condition") or []}
    expected = {
        "aws:SourceAccount": [account_id],
        "aws:RequestTag/kubernetes-namespace": [namespace],
        "aws:RequestTag/kubernetes-service-account": [account],
    }
    for variable, values in expected.items():
        if conditions.get((variable, "StringEquals")) != values:
            problems.append(f"trust needs StringEquals {variable} = {values[0]}")
    if not any(v in ("aws:RequestTag/eks-cluster-arn", "aws:RequestTag/eks-cluster-name") for v, _ in conditions):
        problems.append("trust does not name the cluster (aws:RequestTag/eks-cluster-arn)")
    undocumented = sorted(v for v, _ in conditions if v == "aws:SourceArn")
    if undocumented:
        problems.append("trust conditions on aws:SourceArn, which EKS Pod Identity does not document for this trust")
    return problems


def _functions(facts: SystemFacts) -> Iterator[Violation]:
    for stack, document in sorted(facts.stacks.items()):
        if not stack.startswith(f"{facts.env.name}-"):
            continue
        for body in resources(document, "aws_lambda_function").values():
            where = f"{stack}: Lambda {body.get('function_name')}"
            role = referenced(document, body.get("role"))
            if role is None or role[0] != "aws_iam_role":
                yield Violation(INVARIANT, where, f"role {body.get('role')} is not a role of this stack")
                continue
            statements = policy_statements(document, role[1].get("assume_role_policy"))
            if not any(
                s.get("effect", "Allow") == "Allow"
                and "sts:AssumeRole" in s.get("actions", [])
                and any(LAMBDA_SERVICE in p.get("identifiers", []) for p in s.get("principals") or [])
                for s in statements
            ):
                yield Violation(INVARIANT, where, f"role {role[1].get('name')} does not trust {LAMBDA_SERVICE}")
        for body in resources(document, "aws_lambda_permission").values():
            principal = str(body.get("principal"))
            if not principal.endswith(".amazonaws.com"):
                continue
            where = f"{stack}: Lambda {resolve(document, body.get('function_name'))}"
            if not body.get("source_arn"):
                yield Violation(
                    INVARIANT, where, f"{principal} may invoke it for any resource: the permission needs source_arn"
                )
            if body.get("source_account") != facts.env.account_id:
                yield Violation(
                    INVARIANT, where, f"{principal} may invoke it from any account: the permission needs source_account"
                )


ACCESS_ENTRY_MODES = ("API", "API_AND_CONFIG_MAP")


def _scrapers(facts: SystemFacts) -> Iterator[Violation]:
    clusters = list(resources(facts.stack("cluster"), "aws_eks_cluster").values())
    config = clusters[0].get("access_config") if clusters else None
    config = config[0] if isinstance(config, list) and config else config
    mode = str((config or {}).get("authentication_mode", "CONFIG_MAP"))
    for stack, document in sorted(facts.stacks.items()):
        if not stack.startswith(f"{facts.env.name}-"):
            continue
        for name, body in resources(document, "aws_prometheus_scraper").items():
            where = f"{stack}: AMP scraper {body.get('alias')}"
            if mode not in ACCESS_ENTRY_MODES:
                yield Violation(
                    INVARIANT,
                    where,
                    f"the cluster's authentication mode is {mode}: AMP creates no access entry for the scraper "
                    "and every scrape through the API server is Unauthorized",
                )
            for other, entries in sorted(facts.stacks.items()):
                for entry in resources(entries, "aws_eks_access_entry").values():
                    principal = str(entry.get("principal_arn"))
                    if f"aws_prometheus_scraper.{name}.role_arn" in principal or (
                        other != stack and "aws_prometheus_scraper" in principal and "role_arn" in principal
                    ):
                        yield Violation(
                            INVARIANT,
                            f"{other}: access entry for {where.split(': ', 1)[1]}",
                            "AMP creates this principal's entry itself; a second one fails the apply",
                        )
