"""IAM policy of Flux's image-reflector-controller: list the app repository's tags in ECR.

Read-only, one repository; `GetAuthorizationToken` has no resource-level permission.
"""

from __future__ import annotations

from stacks.constructs.iam import Statement

SERVICE_ACCOUNT = "image-reflector-controller"  # in flux-system, where the FluxInstance runs it


def image_reflector_statements(*, repository_arn: str) -> list[Statement]:
    return [
        {"sid": "LogInToEcr", "actions": ["ecr:GetAuthorizationToken"], "resources": ["*"]},
        {
            "sid": "ListTheAppImages",
            "actions": ["ecr:DescribeImages", "ecr:ListImages", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "resources": [repository_arn],
        },
    ]
