"""The platform stack: each controller's release, its AWS identity, and the order they come up in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.config.model import GitCredential
from stacks.constructs.addons import flux
from tests.conftest import ENVIRONMENT_NAMES
from tests.helpers import Document, by_path, data_sources, only, ref, remote, resources

ENVS = ENVIRONMENT_NAMES
RELEASES = {
    # construct id: (chart, version, namespace)
    "load-balancer-controller": ("aws-load-balancer-controller", "1.14.0", "kube-system"),
    "external-secrets": ("external-secrets", "1.0.0", "external-secrets"),
    "external-dns": ("external-dns", "1.21.1", "external-dns"),
    "flux-operator": ("flux-operator", "0.58.0", "flux-system"),
    "flux-instance": ("flux-instance", "0.58.0", "flux-system"),
}


def release(stack: Document, addon: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    name, body = by_path(stack, "helm_release", f"{addon}/release")
    return name, body, json.loads(body["values"][0])


def policy_statements(stack: Document, addon: str) -> list[dict[str, Any]]:
    _, inline = by_path(stack, "aws_iam_role_policy", f"{addon}/role/inline")
    document = inline["policy"].split(".")[2]
    return list(data_sources(stack, "aws_iam_policy_document")[document]["statement"])


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("addon", RELEASES)
def test_release_is_pinned(stacks: dict[str, Document], env: str, addon: str) -> None:
    _, body, _ = release(stacks[f"{env}-platform"], addon)
    assert (body["chart"], body["version"], body["namespace"]) == RELEASES[addon]
    assert body["wait"] is True and body["atomic"] is True


def test_load_balancer_controller_gets_cluster_facts_explicitly(stacks: dict[str, Document]) -> None:
    _, _, values = release(stacks["prod-platform"], "load-balancer-controller")
    assert values["clusterName"] == "acme-prod-eks"
    assert values["region"] == "eu-west-1"
    assert remote(values["vpcId"], "prod-network")
    assert values["enableServiceMutatorWebhook"] is False


@pytest.mark.parametrize(("env", "policy"), [("dev", "sync"), ("prod", "upsert-only")])
def test_external_dns_is_confined_to_its_zone_and_owner(stacks: dict[str, Document], env: str, policy: str) -> None:
    stack = stacks[f"{env}-platform"]
    _, _, values = release(stack, "external-dns")
    zone_name, _ = next(iter(data_sources(stack, "aws_route53_zone").items()))
    assert values["policy"] == policy
    assert values["txtOwnerId"] == f"acme-{env}-eks"
    assert values["domainFilters"] == [f"{'dev.' if env == 'dev' else ''}acme.example.com"]
    assert f"--zone-id-filter=${{data.aws_route53_zone.{zone_name}.zone_id}}" in values["extraArgs"]


def test_external_dns_can_change_only_its_own_zone(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-platform"]
    zone_name, _ = next(iter(data_sources(stack, "aws_route53_zone").items()))
    statements = policy_statements(stack, "external-dns")
    writes = [s for s in statements if "route53:ChangeResourceRecordSets" in s["actions"]]
    assert [w["resources"] for w in writes] == [[f"${{data.aws_route53_zone.{zone_name}.arn}}"]]
    assert writes[0]["condition"][0]["values"] == ["dev.acme.example.com", "*.dev.acme.example.com"]
    unscoped = [action for s in statements if s["resources"] == ["*"] for action in s["actions"]]
    assert unscoped == ["route53:ListHostedZones"]


def test_external_secrets_reads_only_the_app_credential_and_its_prefix(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-platform"]
    statements = policy_statements(stack, "external-secrets")
    [read] = [s for s in statements if "secretsmanager:GetSecretValue" in s["actions"]]
    app_secret, prefix = read["resources"]
    # The app's own credential in the data stack, read through the stack reference.
    assert remote(app_secret, "dev-data") and "aws_secretsmanager_secretapp-credential_secret_" in app_secret
    assert prefix == "arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme/dev/*"
    assert not any(resource == "*" for s in statements for resource in s["resources"])
    [decrypt] = [s for s in statements if s["actions"] == ["kms:Decrypt"]]
    assert decrypt["condition"][0]["values"] == ["secretsmanager.eu-west-1.amazonaws.com"]


@pytest.mark.parametrize("env", ENVS)
def test_nothing_in_the_cluster_can_read_the_master_secret(stacks: dict[str, Document], env: str) -> None:
    """Neither External Secrets' policy nor the bridge: the platform stack never reads the
    data stack's master_user_secret (a stack reference to it would carry that name)."""
    assert "master_user_secret" not in json.dumps(stacks[f"{env}-platform"])


def test_load_balancer_controller_changes_only_what_a_cluster_tagged(stacks: dict[str, Document]) -> None:
    statements = policy_statements(stacks["dev-platform"], "load-balancer-controller")
    destructive = {
        "elasticloadbalancing:DeleteLoadBalancer",
        "ec2:DeleteSecurityGroup",
        "elasticloadbalancing:DeleteTargetGroup",
    }
    for statement in statements:
        if destructive & set(statement["actions"]):
            variables = {c["variable"] for c in statement["condition"]}
            assert "aws:ResourceTag/elbv2.k8s.aws/cluster" in variables, statement["sid"]


@pytest.mark.parametrize("env", ENVS)
def test_every_service_account_with_aws_access_has_its_association(stacks: dict[str, Document], env: str) -> None:
    """Contract across the border: the chart's service account is the one Pod Identity trusts."""
    stack = stacks[f"{env}-platform"]
    associations = {
        (a["namespace"], a["service_account"]): a["role_arn"]
        for a in resources(stack, "aws_eks_pod_identity_association").values()
    }
    checked = 0
    for addon in ("load-balancer-controller", "external-secrets", "external-dns"):
        _, body, values = release(stack, addon)
        role_name, _ = by_path(stack, "aws_iam_role", f"{addon}/role/role")
        account = (body["namespace"], values["serviceAccount"]["name"])
        assert associations.get(account) == ref("aws_iam_role", role_name, "arn"), account
        assert values["serviceAccount"]["create"] is True
        checked += 1
    _, _, flux_values = release(stack, "flux-instance")
    if "image-reflector-controller" in flux_values["instance"]["components"]:
        # The FluxInstance runs the image-reflector-controller as this service account.
        assert ("flux-system", "image-reflector-controller") in associations
        checked += 1
    assert checked == len(associations)


def test_pods_start_after_their_association_exists(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-platform"]
    for addon in ("load-balancer-controller", "external-secrets", "external-dns"):
        association, _ = by_path(stack, "aws_eks_pod_identity_association", f"{addon}/pod-identity")
        _, body, _ = release(stack, addon)
        assert f"aws_eks_pod_identity_association.{association}" in body["depends_on"]


def test_flux_comes_up_after_the_controllers_and_the_bridge(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-platform"]
    names = {addon: release(stack, addon)[0] for addon in RELEASES}
    _, operator, _ = release(stack, "flux-operator")
    _, instance, _ = release(stack, "flux-instance")
    for controller in ("load-balancer-controller", "external-secrets", "external-dns"):
        assert f"helm_release.{names[controller]}" in operator["depends_on"]
    bridge_name, _ = by_path(stack, "kubernetes_config_map_v1", "bridge/config-map")
    reflector, _ = by_path(stack, "aws_eks_pod_identity_association", "flux-instance/pod-identity")
    assert set(instance["depends_on"]) == {
        f"helm_release.{names['flux-operator']}",
        f"kubernetes_config_map_v1.{bridge_name}",
        f"aws_eks_pod_identity_association.{reflector}",  # dev automates images
    }
    for controller in ("external-secrets", "external-dns"):
        assert f"helm_release.{names['load-balancer-controller']}" in release(stack, controller)[1]["depends_on"]


@pytest.mark.parametrize(
    ("env", "automation", "credential"),
    [
        # dev pushes new image tags, as a GitHub App (Flux mints its tokens: provider github).
        ("dev", True, {"pullSecret": "flux-github-app", "provider": "github"}),
        ("prod", False, {}),
    ],
)
def test_flux_syncs_this_repository_path(
    stacks: dict[str, Document], env: str, automation: bool, credential: dict[str, str]
) -> None:
    _, _, values = release(stacks[f"{env}-platform"], "flux-instance")
    instance = values["instance"]
    assert instance["sync"] == {
        "kind": "GitRepository",
        "url": "https://github.com/acme/platform.git",
        "ref": "refs/heads/main",
        "path": f"clusters/{env}",
        **credential,
    }
    assert ("image-automation-controller" in instance["components"]) is automation
    assert instance["distribution"]["version"] == "2.8.x"


@pytest.mark.parametrize(
    ("credential", "url", "sync"),
    [
        (None, "https://github.com/acme/platform.git", {}),
        (
            GitCredential(type="github-app", secret_name="flux-app"),
            "https://github.com/acme/platform.git",
            {"pullSecret": "flux-app", "provider": "github"},
        ),
        (
            GitCredential(type="token", secret_name="flux-token"),
            "https://github.com/acme/platform.git",
            {"pullSecret": "flux-token"},
        ),
        (
            GitCredential(type="ssh", secret_name="flux-key"),
            "ssh://git@github.com/acme/platform.git",
            {"pullSecret": "flux-key"},
        ),
    ],
    ids=["public", "github-app", "token", "ssh"],
)
def test_flux_authenticates_as_the_credential_says(
    credential: GitCredential | None, url: str, sync: dict[str, str]
) -> None:
    """Only a GitHub App sets provider github; a token or SSH key is read from the Secret as is."""
    props = flux.flux_instance(
        repository_url=url,
        branch="main",
        path="clusters/dev",
        git_credential=credential,
        image_repository_arn=None,
        overrides={},
    )
    assert props.values["instance"]["sync"] == {
        "kind": "GitRepository",
        "url": url,
        "ref": "refs/heads/main",
        "path": "clusters/dev",
        **sync,
    }


@pytest.mark.parametrize("env", ENVS)
def test_cluster_credentials_are_short_lived_and_never_stored(stacks: dict[str, Document], env: str) -> None:
    stack = stacks[f"{env}-platform"]
    [helm] = stack["provider"]["helm"]
    [kube] = stack["provider"]["kubernetes"]
    for exec_block in (helm["kubernetes"]["exec"], kube["exec"][0]):
        assert exec_block["command"] == "aws"
        assert exec_block["args"][:2] == ["eks", "get-token"]
    assert "aws_eks_cluster_auth" not in stack.get("data", {})
    assert remote(kube["host"], f"{env}-cluster")


def test_no_custom_resource_is_applied_by_terraform(stacks: dict[str, Document]) -> None:
    for document in stacks.values():
        assert "kubernetes_manifest" not in document.get("resource", {})


def test_certificate_covers_the_hosts_and_is_validated_by_dns(stacks: dict[str, Document]) -> None:
    stack = stacks["prod-platform"]
    certificate = only(stack, "aws_acm_certificate")
    assert certificate["validation_method"] == "DNS"
    assert [certificate["domain_name"], *certificate["subject_alternative_names"]] == [
        "app.acme.example.com",
        "flux-webhook.acme.example.com",
    ]
    record = only(stack, "aws_route53_record")
    assert record["for_each"].startswith("${{ for key, val in tolist(aws_acm_certificate.")


def test_hand_set_secrets_have_no_value_in_terraform(stacks: dict[str, Document]) -> None:
    """The webhook token and the commit status credential: containers only, values put by hand."""
    stack = stacks["dev-platform"]
    secrets = resources(stack, "aws_secretsmanager_secret").values()
    assert sorted(secret["name"] for secret in secrets) == [
        "acme/dev/flux-github-status-token",
        "acme/dev/flux-webhook-token",
    ]
    key, _ = by_path(stack, "aws_kms_key", "secrets-key/key")
    assert {secret["kms_key_id"] for secret in secrets} == {ref("aws_kms_key", key, "arn")}
    assert "aws_secretsmanager_secret_version" not in stack["resource"]


@pytest.mark.parametrize(("env", "days"), [("dev", 0), ("prod", 30)])
def test_hand_set_secrets_recovery_window_comes_from_the_environment(
    stacks: dict[str, Document], env: str, days: int
) -> None:
    """0: a torn-down dev can be deployed again at once (the name is not held back)."""
    secrets = resources(stacks[f"{env}-platform"], "aws_secretsmanager_secret").values()
    assert [secret["recovery_window_in_days"] for secret in secrets] == [days, days]


@pytest.mark.parametrize("env", ENVS)
def test_flux_pods_wait_until_the_load_balancer_sends_them_traffic(stacks: dict[str, Document], env: str) -> None:
    """The webhook Ingress targets pod IPs: the readiness gate keeps a rollout from dropping traffic."""
    _, namespace = by_path(stacks[f"{env}-platform"], "kubernetes_namespace_v1", "flux-namespace")
    assert namespace["metadata"]["name"] == "flux-system"
    assert namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"


@pytest.mark.parametrize("env", ENVS)
def test_bridge_names_the_cluster_the_cluster_stack_created(stacks: dict[str, Document], env: str) -> None:
    _, config_map = by_path(stacks[f"{env}-platform"], "kubernetes_config_map_v1", "bridge/config-map")
    assert remote(config_map["data"]["cluster_name"], f"{env}-cluster")


def test_image_automation_reads_only_the_app_repository(stacks: dict[str, Document]) -> None:
    stack = stacks["dev-platform"]
    _, association = by_path(stack, "aws_eks_pod_identity_association", "flux-instance/pod-identity")
    assert (association["namespace"], association["service_account"]) == ("flux-system", "image-reflector-controller")
    _, inline = by_path(stack, "aws_iam_role_policy", "flux-instance/role/inline")
    document = inline["policy"].split(".")[2]
    statements = data_sources(stack, "aws_iam_policy_document")[document]["statement"]
    [read] = [s for s in statements if "ecr:ListImages" in s["actions"]]
    assert len(read["resources"]) == 1 and remote(read["resources"][0], "dev-data")
    assert not any(a.startswith(("ecr:Put", "ecr:Upload", "ecr:Delete")) for s in statements for a in s["actions"])
    _, _, values = release(stack, "flux-instance")
    assert "image-reflector-controller" in values["instance"]["components"]
    assert len(resources(stacks["prod-platform"], "aws_eks_pod_identity_association")) == 3
