"""Typed environment configuration: one frozen model per `environments/<name>.yaml`.

Field-level rules live here; rules that relate several fields live in `checks.py`.
Nothing in this package imports a provider binding, so a broken file is reported
before the slow part of synthesis starts.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DNS_LABEL = r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$"
DOMAIN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
REGION = r"^[a-z]{2}-[a-z]+-\d$"
ACCOUNT_ID = r"^\d{12}$"
IAM_PRINCIPAL_ARN = r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$"
PG_IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
# A role that alternates with `<name>_clone`: 57 characters leave room for the suffix
# within PostgreSQL's 63 (NAMEDATALEN - 1).
PG_ALTERNATING_ROLE = r"^[a-z][a-z0-9_]{0,56}$"
KUBERNETES_VERSION = r"^1\.(3[3-9]|[4-9]\d)$"
# A key ARN, as Terraform's S3 backend validates kms_key_id (validateKMSKey in
# internal/backend/remote-state/s3/validate.go; alias ARNs only from later versions).
KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:(?P<region>[a-z]{2}-[a-z]+-\d):(?P<account>\d{12}):key/"
    r"([a-f0-9]{8}-[a-f0-9]{4}-[1-5][a-f0-9]{3}-[ab89][a-f0-9]{3}-[a-f0-9]{12}|mrk-[a-f0-9]{32})$"
)
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

DnsLabel = Annotated[str, Field(pattern=DNS_LABEL)]


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period (use one of 30, 90, 365, 731, …)")
    return days


def _private_network(cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if not cidr.is_private:
        raise ValueError(f"{cidr} is not a private (RFC 1918) range")
    if not 16 <= cidr.prefixlen <= 24:
        raise ValueError(f"prefix /{cidr.prefixlen} is outside the /16 to /24 that a VPC allows")
    return cidr


def _limited_public_cidr(cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
    if cidr.prefixlen == 0:
        raise ValueError("0.0.0.0/0 opens the Kubernetes API to the internet; list your office or VPN ranges")
    return cidr


def _at_least_two(zones: list[str]) -> list[str]:
    if len(zones) < 2:
        raise ValueError(f"at least 2 availability zones are needed (EKS and RDS span two or more); {len(zones)} given")
    return zones


def _kms_key_arn(arn: str) -> str:
    if not KMS_KEY_ARN.match(arn):
        raise ValueError(
            f"{arn!r} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); "
            "Terraform's S3 backend (1.10) refuses alias ARNs"
        )
    return arn


def _recovery_window(days: int) -> int:
    # RecoveryWindowInDays is 7 to 30; 0 stands for ForceDeleteWithoutRecovery.
    if days != 0 and not 7 <= days <= 30:
        raise ValueError(f"{days} is not a Secrets Manager recovery window (0 to delete at once, or 7 to 30 days)")
    return days


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]


class Strict(BaseModel):
    """Frozen, and unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class StateBackend(Strict):
    """Where Terraform keeps the state of every stack but `<env>-bootstrap`.

    Required: the stacks are deployed from throwaway CI runners, where a local state file
    is lost after each run. The bootstrap stack creates the bucket and the key.
    """

    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    region: Annotated[str, Field(pattern=REGION)] | None = None
    # The bootstrap stack's `state_key_arn` output; optional only because it exists after
    # bootstrap. Without it the S3 backend writes state with SSE-S3, not this key.
    kms_key_arn: Annotated[str, AfterValidator(_kms_key_arn)] | None = None


class SubnetPrefixes(Strict):
    """Prefix length of each subnet tier; one subnet per tier per availability zone."""

    public: Annotated[int, Field(ge=16, le=28)] = 24
    private: Annotated[int, Field(ge=16, le=28)] = 19
    database: Annotated[int, Field(ge=16, le=28)] = 24


class Network(Strict):
    cidr: Annotated[ipaddress.IPv4Network, AfterValidator(_private_network)]
    availability_zones: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z]{2}-[a-z]+-\d[a-z]$")]], AfterValidator(_at_least_two)
    ]
    nat_gateways: Annotated[int, Field(ge=1)]
    subnet_prefixes: SubnetPrefixes = SubnetPrefixes()
    flow_log_retention_days: LogRetentionDays = 365


class NodeGroup(Strict):
    name: DnsLabel
    instance_types: Annotated[list[Annotated[str, Field(pattern=r"^[a-z0-9-]+\.[a-z0-9]+$")]], Field(min_length=1)]
    ami_type: Literal["AL2023_ARM_64_STANDARD", "AL2023_x86_64_STANDARD"] = "AL2023_ARM_64_STANDARD"
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: Annotated[int, Field(ge=1, le=100)]
    desired_size: Annotated[int, Field(ge=1, le=100)]
    max_size: Annotated[int, Field(ge=1, le=100)]
    disk_size_gib: Annotated[int, Field(ge=20, le=1000)] = 50


class Cluster(Strict):
    kubernetes_version: Annotated[str, Field(pattern=KUBERNETES_VERSION)]
    public_access_cidrs: list[Annotated[ipaddress.IPv4Network, AfterValidator(_limited_public_cidr)]]
    admin_principal_arns: Annotated[list[Annotated[str, Field(pattern=IAM_PRINCIPAL_ARN)]], Field(min_length=1)]
    log_retention_days: LogRetentionDays = 365
    node_groups: Annotated[list[NodeGroup], Field(min_length=1)]


class AppUser(Strict):
    """The app's own PostgreSQL role and its Secrets Manager secret.

    Rotated with Secrets Manager's alternating-users strategy by the project's rotation
    function: it alternates between `name` and `name_clone`, so the app's credential
    stays valid while the other one is changed. The first rotation, which Terraform
    starts, creates the role and the secret's first value.
    """

    name: Annotated[str, Field(pattern=PG_ALTERNATING_ROLE)] = "guestbook"
    rotation_days: Annotated[int, Field(ge=1, le=365)] = 30


class Database(Strict):
    engine_version: Annotated[str, Field(pattern=r"^1[5-9](\.\d+)?$")]
    instance_class: Annotated[str, Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")]
    allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)]
    max_allocated_storage_gib: Annotated[int, Field(ge=20, le=65536)]
    name: Annotated[str, Field(pattern=PG_IDENTIFIER)] = "app"
    master_username: Annotated[str, Field(pattern=PG_IDENTIFIER)] = "platform_admin"
    multi_az: bool
    deletion_protection: bool
    final_snapshot: bool
    backup_retention_days: Annotated[int, Field(ge=1, le=35)]
    log_retention_days: LogRetentionDays = 365
    app_user: AppUser = AppUser()


class Registry(Strict):
    repository: DnsLabel = "app"
    untagged_expiry_days: Annotated[int, Field(ge=1, le=365)] = 7
    images_to_keep: Annotated[int, Field(ge=1, le=1000)] = 50
    # Let `cdktf destroy` delete the repository with its images; without it destroying
    # `<env>-data` fails once an image exists (RepositoryNotEmptyException).
    force_delete: bool = False


class Dns(Strict):
    """The public hosted zone that holds the environment's names."""

    # create: a new zone named `domain` (delegate it from the parent once, see the README);
    # existing: look up the zone named `zone_name` (the domain itself or a parent of it).
    hosted_zone: Literal["create", "existing"]
    zone_name: Annotated[str, Field(pattern=DOMAIN, max_length=253)] | None = None
    # Host names under `domain`, all on the one certificate: the app's, and the Flux
    # webhook receiver's (GitHub calls it on every push).
    app_hostname: DnsLabel = "app"
    flux_webhook_hostname: DnsLabel = "flux-webhook"


def _git_url(url: str) -> str:
    # GitRepository's spec.url must match ^(http|https|ssh)://, so the scp-like form
    # (git@host:owner/name) is refused by the API server; plain http is refused here.
    # Flux picks the transport by the scheme and reads an SSH identity only for ssh://.
    # https://fluxcd.io/flux/components/source/gitrepositories/#url
    if not re.fullmatch(r"(https|ssh)://[^\s/]+/\S+", url):
        raise ValueError(f"{url!r} must be an https:// or ssh:// address (not git@host:path)")
    return url


class GitCredential(Strict):
    """A Secret in flux-system that GitRepository flux-system (and, with image automation,
    every push of a new tag) authenticates with. It is created once by hand (runbook), so
    it is never in Terraform state or in Git; the keys it holds depend on `type`:

    - github-app: githubAppID, githubAppInstallationID, githubAppPrivateKey; Flux mints a
      short-lived installation token from them (https:// only, `provider: github`).
      https://fluxcd.io/flux/components/source/gitrepositories/#github
    - token: username and password, the password a personal access token (https:// only).
    - ssh: identity and known_hosts, e.g. a deploy key (ssh:// only).
    """

    type: Literal["github-app", "token", "ssh"]
    secret_name: DnsLabel


class Flux(Strict):
    branch: Annotated[str, Field(pattern=r"^[\w./-]+$")] = "main"
    # Where Flux clones from; none: `repository` + ".git" over https.
    url: Annotated[str, AfterValidator(_git_url)] | None = None
    # None: the repository is public and nothing writes to it.
    git_credential: GitCredential | None = None
    # Image reflector and automation controllers, for environments whose image tags
    # Flux writes back to Git (with `git_credential`, which then needs write access).
    image_automation: bool = False

    def sync_url(self, *, repository: str) -> str:
        return self.url or f"{repository}.git"


AddonName = Literal[
    "aws-load-balancer-controller", "external-dns", "external-secrets", "flux-operator", "flux-instance"
]


class Platform(Strict):
    # sync also deletes records whose Ingress is gone; upsert-only never deletes (prod:
    # a mistaken change in Git cannot take a name off the internet).
    external_dns_policy: Literal["sync", "upsert-only"]
    # Days a deleted secret (the Flux webhook and commit status tokens) can be restored.
    # Its name stays taken meanwhile, so a redeploy within the window fails; 0 deletes at once.
    secret_recovery_days: Annotated[int, AfterValidator(_recovery_window)] = 30
    flux: Flux = Flux()
    # Escape hatch: chart values merged last over what the add-on computes.
    addon_values: dict[AddonName, dict[str, Any]] = {}


class Delivery(Strict):
    """How Git changes reach this environment."""

    # The image pipeline builds dockerbuild/ on pushes to this branch; deploys run from it.
    branch: Annotated[str, Field(pattern=r"^[\w./-]+$")] = "main"
    # A GitHub environment (with required reviewers) that gates `cdktf deploy` here; the
    # deploy role then trusts only jobs of that environment. None: pushes to `branch`.
    github_environment: DnsLabel | None = None
    # IAM allows one GitHub OIDC provider per account: the bootstrap stack of exactly one
    # environment per account creates it; the others of that account use the existing one.
    github_oidc_provider: Literal["create", "existing"] = "create"


# One address, no display name: SNS e-mail subscriptions take a bare address.
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _email(address: str) -> str:
    if not EMAIL.match(address):
        raise ValueError(f"{address!r} is not an e-mail address (name@example.com)")
    return address


class Slo(Strict):
    """What the app promises; the alert rules measure it (stacks/constructs/observability/rules.py)."""

    # Share of requests answered without a 5xx, in percent; 100 - it is the error budget.
    availability_percent: Annotated[float, Field(ge=90, lt=100)] = 99.5
    # 99 % of requests are answered within this many seconds.
    latency_p99_seconds: Annotated[float, Field(gt=0, le=30)] = 0.5


class AlertThresholds(Strict):
    """When an alert fires; docs/runbooks/alerts.md says what each one means."""

    crash_loop_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    # flux-operator refreshes flux_resource_info with its report, every 5 minutes by
    # default (https://fluxoperator.dev/docs/instance/monitoring/): a shorter wait is not seen.
    flux_not_ready_minutes: Annotated[int, Field(ge=10, le=1440)] = 15
    external_secret_not_ready_minutes: Annotated[int, Field(ge=5, le=1440)] = 10
    database_cpu_percent: Annotated[int, Field(ge=10, le=100)] = 80
    database_free_storage_gib: Annotated[int, Field(ge=1, le=65536)] = 5
    database_connections: Annotated[int, Field(ge=1, le=100000)] = 80
    load_balancer_5xx_per_minute: Annotated[int, Field(ge=1)] = 10
    load_balancer_response_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    nat_dropped_packets_per_minute: Annotated[int, Field(ge=1)] = 100


class Observability(Strict):
    """Metrics (Amazon Managed Service for Prometheus and its managed collector), logs
    (Container Insights) and alerts (rules, Alertmanager, CloudWatch alarms) to e-mail."""

    enabled: bool = False
    # AMP keeps samples 1 to 1095 days (UpdateWorkspaceConfiguration); its default is 150.
    metrics_retention_days: Annotated[int, Field(ge=1, le=1095)] = 150
    # Container Insights' log groups and the workspace's own log group.
    log_retention_days: LogRetentionDays = 30
    alert_emails: list[Annotated[str, AfterValidator(_email)]] = []
    slo: Slo = Slo()
    thresholds: AlertThresholds = AlertThresholds()


class Environment(Strict):
    """One deployable environment: the only input the stacks take."""

    name: DnsLabel
    tier: Literal["production", "non-production"]
    project: DnsLabel
    account_id: Annotated[str, Field(pattern=ACCOUNT_ID)]
    region: Annotated[str, Field(pattern=REGION)]
    domain: Annotated[str, Field(pattern=DOMAIN, max_length=253)]
    repository: Annotated[str, Field(pattern=r"^https://github\.com/[\w.-]+/[\w.-]+$")]
    tags: dict[Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]] = {}
    state: StateBackend
    network: Network
    cluster: Cluster
    database: Database
    registry: Registry = Registry()
    dns: Dns
    platform: Platform
    delivery: Delivery = Delivery()
    observability: Observability = Observability()

    @property
    def github_repository(self) -> str:
        """`owner/name` of `repository`."""
        return self.repository.removeprefix("https://github.com/")
