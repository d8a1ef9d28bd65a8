"""The ECR repository the app image is pushed to: tags never move, every push is scanned."""

from __future__ import annotations

import json

from constructs import Construct

from stacks.bindings import aws


def lifecycle_rules(*, untagged_expiry_days: int, images_to_keep: int) -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the newest {images_to_keep} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": images_to_keep},
                    "action": {"type": "expire"},
                },
            ]
        }
    )


class ContainerRegistry(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        untagged_expiry_days: int,
        images_to_keep: int,
        force_delete: bool,
    ) -> None:
        super().__init__(scope, id_)
        self.repository = aws.ecr_repository.EcrRepository(
            self,
            "repository",
            name=name,
            # Without it, destroying the repository fails while it holds an image.
            force_delete=force_delete,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[aws.ecr_repository.EcrRepositoryEncryptionConfiguration(encryption_type="KMS")],
        )
        aws.ecr_lifecycle_policy.EcrLifecyclePolicy(
            self,
            "lifecycle",
            repository=self.repository.name,
            policy=lifecycle_rules(untagged_expiry_days=untagged_expiry_days, images_to_keep=images_to_keep),
        )

    @property
    def arn(self) -> str:
        return str(self.repository.arn)

    @property
    def url(self) -> str:
        return str(self.repository.repository_url)
