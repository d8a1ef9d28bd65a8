"""Identity: every principal that calls the Kubernetes API has an access entry that fits
what it does, and every pod that calls AWS gets credentials it can actually assume.

- The deploy workflow's role applies Helm releases and Kubernetes objects: cluster admin.
- The plan and drift workflows' role only plans, but the Helm provider reads release
  state from Secrets: AmazonEKSAdminViewPolicy (view, Secrets included), nothing more.
- The admin principals of the environment file: cluster admin.
- A Pod Identity association names a namespace and service account that exist, and its
  role trusts exactly that pair on this cluster through the session tags EKS Pod
  Identity sets (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from system.facts import SystemFacts, Violation
from system.inventory import inventory
from system.terraform import construct_path, policy_statements, referenced, resolve, resources
from system.workflow_jobs import expanded_jobs

INVARIANT = "identity"
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
ADMIN = POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
ADMIN_VIEW = POLICY_PREFIX + "AmazonEKSAdminViewPolicy"
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def check(facts: SystemFacts) -> Iterator[Violation]:
    yield from _kubernetes_callers(facts)
    yield from _pod_identities(facts)


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
                namespace = "kube-system"  # EKS add-ons run their service accounts there
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
