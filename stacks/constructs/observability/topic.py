"""The one SNS topic every alert of an environment goes to, encrypted with a key of its own,
and the e-mail addresses of the environment file subscribed to it.

E-mail subscriptions stay "pending confirmation" until each address follows the link
AWS sends; Terraform creates them and cannot confirm them (docs/runbooks/alerts.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from constructs import Construct

from stacks.bindings import aws
from stacks.constructs.iam import policy_document
from stacks.constructs.observability import topic_policy


class AlertTopic(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        emails: Sequence[str],
        workspace_arn: str,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        # Shaped like EncryptionKey (key/key, key/policy, key/alias), whose statements it
        # extends with the publishing services.
        keys = Construct(self, "key")
        key = aws.kms_key.KmsKey(
            keys,
            "key",
            description=f"{name}: alert notifications",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=policy_document(keys, "policy", topic_policy.key_statements(account_id=account_id)),
        )
        aws.kms_alias.KmsAlias(keys, "alias", name=f"alias/{name}", target_key_id=key.key_id)
        self.topic = aws.sns_topic.SnsTopic(self, "topic", name=name, kms_master_key_id=key.arn)
        aws.sns_topic_policy.SnsTopicPolicy(
            self,
            "policy",
            arn=self.topic.arn,
            policy=policy_document(
                self,
                "topic-policy",
                topic_policy.topic_statements(
                    topic_arn=self.topic.arn, workspace_arn=workspace_arn, account_id=account_id, region=region
                ),
            ),
        )
        for address in emails:
            aws.sns_topic_subscription.SnsTopicSubscription(
                self, f"email-{address}", topic_arn=self.topic.arn, protocol="email", endpoint=address
            )

    @property
    def arn(self) -> str:
        return str(self.topic.arn)
