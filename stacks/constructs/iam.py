"""IAM building blocks shared by the constructs: policy documents, service roles and the
Aspect that puts one permissions boundary on every role of a stack.

Policies are `aws_iam_policy_document` data sources rather than hand-built JSON, so a
plan shows them readably and checkov evaluates every statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from cdktf import IAspect, TerraformResource
from constructs import Construct, IConstruct

from stacks.bindings import aws

Statement = dict[str, Any]


def policy_document(scope: Construct, id_: str, statements: Sequence[Statement]) -> str:
    """The JSON of a policy built from statement dicts (keys as in the data source)."""
    module = aws.data_aws_iam_policy_document
    # jsii turns a dict into a struct only at the top level of an argument; list items
    # must be the struct classes themselves.
    structs = [
        module.DataAwsIamPolicyDocumentStatement(
            **{
                **statement,
                "principals": [
                    module.DataAwsIamPolicyDocumentStatementPrincipals(**p) for p in statement.get("principals", [])
                ]
                or None,
                "condition": [
                    module.DataAwsIamPolicyDocumentStatementCondition(**c) for c in statement.get("condition", [])
                ]
                or None,
            }
        )
        for statement in statements
    ]
    return str(module.DataAwsIamPolicyDocument(scope, id_, statement=structs).json)


# Service principal → whether the service's documentation shows `aws:SourceAccount` in the
# trust policy of its role. A key the service does not set fails the condition and the
# service cannot assume the role, so it is used only where the documentation shows it.
SOURCE_ACCOUNT_IN_TRUST = {
    # https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html
    "codebuild.amazonaws.com": True,
    # The service role pages show no condition:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-service-role-cli.html
    "codepipeline.amazonaws.com": False,
    # https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html shows no condition.
    "ec2.amazonaws.com": False,
    # https://docs.aws.amazon.com/eks/latest/userguide/cluster-iam-role.html shows no condition.
    "eks.amazonaws.com": False,
    # The execution role's trust shows no condition; who may invoke the function is the
    # function's own resource policy (aws_lambda_permission with source_arn):
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
    "lambda.amazonaws.com": False,
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html#USER_Monitoring.OS.confused-deputy
    "monitoring.rds.amazonaws.com": True,
    # The managed collector's roles for an encrypted workspace:
    # https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html
    "scraper.aps.amazonaws.com": True,
    # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
    "vpc-flow-logs.amazonaws.com": True,
}


def service_trust(
    service: str, *, account_id: str, extra_actions: Sequence[str] = (), source_arn: str | None = None
) -> Statement:
    """Trust `service`; only when it acts for this account (and, given `source_arn`, for that
    one resource of it) where the service documents that confused-deputy guard."""
    if service not in SOURCE_ACCOUNT_IN_TRUST:
        raise ValueError(
            f"{service}: look up whether its documentation shows aws:SourceAccount in a role's trust "
            "policy and record the answer in SOURCE_ACCOUNT_IN_TRUST"
        )
    statement: Statement = {
        "effect": "Allow",
        "actions": ["sts:AssumeRole", *extra_actions],
        "principals": [{"type": "Service", "identifiers": [service]}],
    }
    if source_arn is not None and not SOURCE_ACCOUNT_IN_TRUST[service]:
        raise ValueError(f"{service} does not document aws:SourceArn in a role's trust policy")
    if SOURCE_ACCOUNT_IN_TRUST[service]:
        statement["condition"] = [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]}]
    if source_arn is not None:
        statement["condition"].append({"test": "StringEquals", "variable": "aws:SourceArn", "values": [source_arn]})
    return statement


def managed_policy_arn(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


class ServiceRole(Construct):
    """An IAM role for one AWS service principal, with managed and inline policies."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        trust: Statement,
        managed_policies: Sequence[str] = (),
        inline_policy: str | None = None,
        permissions_boundary: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self.role = aws.iam_role.IamRole(
            self,
            "role",
            name=name,
            assume_role_policy=policy_document(self, "trust", [trust]),
            permissions_boundary=permissions_boundary,
        )
        self.attachments = [
            aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                self, f"managed-{policy}", role=self.role.name, policy_arn=managed_policy_arn(policy)
            )
            for policy in managed_policies
        ]
        # Kept so that a resource whose creation checks the role's permissions can wait for it.
        self.inline_policy = (
            aws.iam_role_policy.IamRolePolicy(self, "inline", role=self.role.id, name=name, policy=inline_policy)
            if inline_policy is not None
            else None
        )

    @property
    def arn(self) -> str:
        return str(self.role.arn)


@jsii.implements(IAspect)
class PermissionsBoundary:
    """Sets one permissions boundary on every IAM role in the scope it is added to.

    An Aspect rather than a ServiceRole argument: it also reaches roles created without
    ServiceRole, and no construct has to pass the boundary along.
    """

    def __init__(self, policy_arn: str) -> None:
        self.policy_arn = policy_arn

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, TerraformResource) and node.terraform_resource_type == "aws_iam_role":
            node.add_override("permissions_boundary", self.policy_arn)
