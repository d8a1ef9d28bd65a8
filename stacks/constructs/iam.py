"""IAM building blocks shared by the constructs: policy documents and service roles.

Policies are `aws_iam_policy_document` data sources rather than hand-built JSON, so a
plan shows them readably and checkov evaluates every statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from constructs import Construct

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


def service_trust(service: str, *, account_id: str, extra_actions: Sequence[str] = ()) -> Statement:
    """Trust `service`, only when it acts for this account (confused-deputy guard)."""
    return {
        "effect": "Allow",
        "actions": ["sts:AssumeRole", *extra_actions],
        "principals": [{"type": "Service", "identifiers": [service]}],
        "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account_id]}],
    }


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
    ) -> None:
        super().__init__(scope, id_)
        self.role = aws.iam_role.IamRole(
            self,
            "role",
            name=name,
            assume_role_policy=policy_document(self, "trust", [trust]),
        )
        self.attachments = [
            aws.iam_role_policy_attachment.IamRolePolicyAttachment(
                self, f"managed-{policy}", role=self.role.name, policy_arn=managed_policy_arn(policy)
            )
            for policy in managed_policies
        ]
        if inline_policy is not None:
            aws.iam_role_policy.IamRolePolicy(self, "inline", role=self.role.id, name=name, policy=inline_policy)

    @property
    def arn(self) -> str:
        return str(self.role.arn)
