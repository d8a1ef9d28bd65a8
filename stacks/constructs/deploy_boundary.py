"""The permissions boundary of the deploy role and of every role the deploy creates.

The deploy role needs administrator rights (it creates clusters, databases, keys and
roles), but it must not be a way to gain more than that: whoever can push to the deploy
branch could otherwise mint an unbounded role, or a user with access keys, and keep it.
The boundary allows everything and then denies what would escalate or outlive a run.
How a boundary caps what roles created under it may do:
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import Statement, policy_document

# The role actions the Service Authorization Reference lists with iam:PermissionsBoundary
# (the boundary of the role being created or changed):
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
ROLE_CHANGES = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
# Taking a boundary off is never part of a deploy: denied whatever the boundary is.
BOUNDARY_REMOVALS = ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary")
# What reaches into a role without attaching a policy to it, and has no boundary key
# (UpdateAssumeRolePolicy has no condition key at all): limited by the role's name, so a
# role outside this environment (an administrator's, one that trusts the account) stays
# out of reach.
ROLE_USE = ("iam:PassRole", "iam:UpdateAssumeRolePolicy", "sts:AssumeRole")
READS = ("iam:Get*", "iam:List*")


def boundary_statements(
    *, boundary_arn: str, account_id: str, environment_roles: str, protected_arns: Sequence[str]
) -> list[Statement]:
    """`environment_roles`: ARN pattern of this environment's roles; `protected_arns`: the
    bootstrap's own roles and OIDC provider, which only a person applying bootstrap changes."""
    iam = f"arn:aws:iam::{account_id}"
    return [
        # A boundary grants nothing by itself; the role's own policies do.
        {"sid": "AllowWhatTheRoleGrants", "actions": ["*"], "resources": ["*"]},
        {
            "sid": "RolesOnlyWithinThisBoundary",
            "effect": "Deny",
            "actions": list(ROLE_CHANGES),
            "resources": ["*"],
            "condition": [{"test": "StringNotEquals", "variable": "iam:PermissionsBoundary", "values": [boundary_arn]}],
        },
        {"sid": "NeverRemoveABoundary", "effect": "Deny", "actions": list(BOUNDARY_REMOVALS), "resources": ["*"]},
        {
            "sid": "LeaveTheBootstrapAlone",
            "effect": "Deny",
            "not_actions": list(READS),
            "resources": [boundary_arn, *protected_arns],
        },
        {
            "sid": "OnlyThisEnvironmentsRoles",
            "effect": "Deny",
            "actions": list(ROLE_USE),
            "not_resources": [environment_roles],
        },
        # Users, their access keys and login profiles are credentials that outlive a run.
        {"sid": "NoIamUsers", "effect": "Deny", "actions": ["iam:*"], "resources": [f"{iam}:user/*", f"{iam}:group/*"]},
    ]


class DeployBoundary(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        arn: str,
        account_id: str,
        environment_roles: str,
        protected_arns: Sequence[str],
    ) -> None:
        super().__init__(scope, id_)
        statements = boundary_statements(
            boundary_arn=arn, account_id=account_id, environment_roles=environment_roles, protected_arns=protected_arns
        )
        self.policy = aws.iam_policy.IamPolicy(
            self,
            "policy",
            name=name,
            description="Permissions boundary of the GitHub deploy role and of every role it creates",
            policy=policy_document(self, "document", statements),
        )

    @property
    def arn(self) -> str:
        return str(self.policy.arn)
