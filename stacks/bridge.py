"""The bridge from Terraform to Flux: the contract of the `flux-system/cluster-vars` ConfigMap.

Terraform writes every fact the Git side needs into that one ConfigMap; Flux
Kustomizations read it through `postBuild.substituteFrom`, so a manifest under
`clusters/` says `${db_host}` and never a copied value. The tests hold both sides to
this table: every `${var}` under `clusters/` must be a key here, and the ConfigMap the
platform stack writes has exactly these keys.

Values known only after `cdktf deploy` (ARNs, host names) are rendered offline with
the key's `offline` stand-in: the same shape as the real value, filled from the
environment file ({project}, {env}, {region}, {account_id}).
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE = "flux-system"
NAME = "cluster-vars"


@dataclass(frozen=True)
class BridgeKey:
    meaning: str
    producer: str  # the stack (or `config`) the value comes from
    offline: str = ""  # stand-in for offline rendering when the value is not known before deploy


CONTRACT: dict[str, BridgeKey] = {
    "environment": BridgeKey("environment name (the file name in environments/)", "config"),
    "cluster_name": BridgeKey("EKS cluster name", "cluster", "{project}-{env}-eks"),
    "aws_region": BridgeKey("AWS region", "config"),
    "aws_account_id": BridgeKey("AWS account id", "config"),
    "vpc_id": BridgeKey("VPC id", "network", "vpc-0123456789abcdef0"),
    "vpc_cidr": BridgeKey("VPC address range (the ALB reaches pods from it, pods reach RDS in it)", "config"),
    "domain": BridgeKey("the environment's DNS domain", "config"),
    "app_host": BridgeKey("the app's host name (on the certificate)", "config"),
    "flux_webhook_host": BridgeKey("host name of the Flux webhook receiver (on the certificate)", "config"),
    "certificate_arn": BridgeKey(
        "ACM certificate for app_host and flux_webhook_host",
        "platform",
        "arn:aws:acm:{region}:{account_id}:certificate/00000000-0000-4000-8000-000000000000",
    ),
    "hosted_zone_id": BridgeKey("Route 53 zone ExternalDNS writes to", "platform", "Z0123456789ABCDEFGHIJ"),
    "ingress_group": BridgeKey("ALB ingress group: Ingresses in it share one load balancer", "config"),
    "db_host": BridgeKey("PostgreSQL host name", "data", "{project}-{env}-postgres.c0ffee.{region}.rds.amazonaws.com"),
    "db_port": BridgeKey("PostgreSQL port", "data", "5432"),
    "db_name": BridgeKey("PostgreSQL database name", "data", "app"),
    "db_secret_arn": BridgeKey(
        "Secrets Manager ARN of the app's own PostgreSQL credential (username, password), rotated with "
        "alternating users; never the master secret",
        "data",
        # The name with database.app_user.name at its default; Secrets Manager appends six characters.
        "arn:aws:secretsmanager:{region}:{account_id}:secret:{project}/{env}/guestbook/database-AbCdEf",
    ),
    "db_role": BridgeKey(
        "the app's PostgreSQL role (database.app_user.name); the credential alternates between it and <role>_clone",
        "config",
    ),
    "secrets_prefix": BridgeKey("name prefix of other secrets External Secrets may read", "config"),
    "github_repository_url": BridgeKey(
        "the environment's GitHub repository (https://github.com/owner/name): Flux posts commit statuses to it",
        "config",
    ),
    "ecr_repository_url": BridgeKey(
        "ECR repository of the app image", "data", "{account_id}.dkr.ecr.{region}.amazonaws.com/{project}/{env}/app"
    ),
    "load_balancer_controller_role_arn": BridgeKey(
        "IAM role of the Load Balancer Controller",
        "platform",
        "arn:aws:iam::{account_id}:role/{project}-{env}-eks-aws-load-balancer-controller",
    ),
    "external_dns_role_arn": BridgeKey(
        "IAM role of ExternalDNS", "platform", "arn:aws:iam::{account_id}:role/{project}-{env}-eks-external-dns"
    ),
    "external_secrets_role_arn": BridgeKey(
        "IAM role of External Secrets",
        "platform",
        "arn:aws:iam::{account_id}:role/{project}-{env}-eks-external-secrets",
    ),
}
