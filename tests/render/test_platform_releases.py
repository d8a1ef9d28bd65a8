"""The platform stack's Helm releases, rendered with the real charts: what Terraform's helm_release installs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import helm_python
import pytest

from render.bridge_values import bridge_values
from render.chart_cache import cached_versions, chart_cache_dir, version_key
from render.errors import RenderError
from render.helm import LoadedChart
from render.platform_releases import PlatformRender, render_platform_releases
from render.values_usage import MESSAGE
from stacks.config import Environment
from stacks.constructs.addons import flux
from stacks.naming import cluster_name
from tests.conftest import ENVIRONMENT_NAMES, ROOT
from tests.helpers import Document, resources

ENVS = ENVIRONMENT_NAMES
CACHE = chart_cache_dir()


@pytest.fixture(scope="module")
def platform_stacks(stacks: dict[str, Document]) -> dict[str, Document]:
    """The synthesized stacks, for the tests that render their charts from the chart cache."""
    if not CACHE.is_dir():
        pytest.skip(f"chart cache {CACHE} is absent: set UPSTREAM_CACHE or fill its charts/ folder with `helm pull`")
    return stacks


@pytest.fixture(scope="module")
def platform(platform_stacks: dict[str, Document], environments: dict[str, Environment]) -> dict[str, PlatformRender]:
    return {
        env: render_platform_releases(
            platform_stacks[f"{env}-platform"],
            kubernetes_version=environments[env].cluster.kubernetes_version,
            cache=CACHE,
        )
        for env in ENVS
    }


def objects(render: PlatformRender, release: str, kind: str) -> list[dict[str, Any]]:
    return [o for o in render.release(release).objects if o["kind"] == kind]


def args(render: PlatformRender, release: str) -> list[str]:
    [deployment] = objects(render, release, "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return list(container["args"])


def with_release(stack: Document, chart: str, **changes: Any) -> Document:
    """A copy of the stack with only the release of `chart`, its fields changed."""
    changed = copy.deepcopy(stack)
    releases = changed["resource"]["helm_release"]
    [(name, body)] = [(n, b) for n, b in releases.items() if b["chart"] == chart]
    changed["resource"]["helm_release"] = {name: {**body, **changes}}
    return changed


def with_values(stack: Document, chart: str, extra: dict[str, Any]) -> Document:
    [body] = [b for b in stack["resource"]["helm_release"].values() if b["chart"] == chart]
    return with_release(stack, chart, values=[json.dumps({**json.loads(body["values"][0]), **extra})])


def problems(stack: Document) -> list[str]:
    with pytest.raises(RenderError) as caught:
        render_platform_releases(stack, kubernetes_version="1.35", cache=CACHE, check_values=False)
    return list(caught.value.problems)


@pytest.mark.parametrize("env", ENVS)
def test_load_balancer_controller_runs_for_this_cluster(
    platform: dict[str, PlatformRender],
    platform_stacks: dict[str, Document],
    environments: dict[str, Environment],
    env: str,
) -> None:
    arguments = args(platform[env], "aws-load-balancer-controller")
    bridge = bridge_values(platform_stacks[f"{env}-platform"], environments[env])
    assert f"--cluster-name={cluster_name(environments[env])}" in arguments
    # The VPC id is known only after deploy: the same stand-in as the bridge ConfigMap's.
    assert f"--aws-vpc-id={bridge['vpc_id']}" in arguments
    assert f"--aws-region={environments[env].region}" in arguments
    [ingress_class] = [a.removeprefix("--ingress-class=") for a in arguments if a.startswith("--ingress-class=")]
    assert [c["metadata"]["name"] for c in objects(platform[env], "aws-load-balancer-controller", "IngressClass")] == [
        ingress_class
    ]


def test_every_ingress_class_in_git_is_the_controllers(platform: dict[str, PlatformRender]) -> None:
    used = {
        match
        for folder in ("clusters", "charts")
        for path in (ROOT / folder).rglob("*.yaml")
        for match in re.findall(r"ingressClassName:\s*(\S+)", path.read_text())
    }
    served = {c["metadata"]["name"] for c in objects(platform["dev"], "aws-load-balancer-controller", "IngressClass")}
    assert used and used <= served


@pytest.mark.parametrize(("env", "policy"), [("dev", "sync"), ("prod", "upsert-only")])
def test_external_dns_writes_only_this_clusters_records(
    platform: dict[str, PlatformRender],
    platform_stacks: dict[str, Document],
    environments: dict[str, Environment],
    env: str,
    policy: str,
) -> None:
    arguments = args(platform[env], "external-dns")
    bridge = bridge_values(platform_stacks[f"{env}-platform"], environments[env])
    assert f"--domain-filter={environments[env].domain}" in arguments
    assert f"--policy={policy}" in arguments
    assert f"--txt-owner-id={cluster_name(environments[env])}" in arguments
    assert f"--zone-id-filter={bridge['hosted_zone_id']}" in arguments


@pytest.mark.parametrize("env", ENVS)
def test_external_secrets_brings_the_crds_flux_applies(platform: dict[str, PlatformRender], env: str) -> None:
    crds = {
        crd["spec"]["names"]["kind"]: {v["name"] for v in crd["spec"]["versions"] if v["served"]}
        for crd in objects(platform[env], "external-secrets", "CustomResourceDefinition")
    }
    assert "v1" in crds["ExternalSecret"]
    assert "v1" in crds["ClusterSecretStore"]


@pytest.mark.parametrize(("env", "image_controllers"), [("dev", True), ("prod", False)])
def test_flux_instance_runs_the_components_of_the_environment(
    platform: dict[str, PlatformRender], env: str, image_controllers: bool
) -> None:
    [instance] = objects(platform[env], "flux", "FluxInstance")
    components = instance["spec"]["components"]
    assert set(flux.CONTROLLERS) <= set(components)
    assert {c for c in components if c.startswith("image-")} == (
        set(flux.IMAGE_AUTOMATION) if image_controllers else set()
    )
    assert instance["metadata"]["namespace"] == flux.NAMESPACE


@pytest.mark.parametrize("env", ENVS)
def test_service_accounts_are_the_ones_pod_identity_trusts(
    platform: dict[str, PlatformRender], platform_stacks: dict[str, Document], env: str
) -> None:
    rendered = {
        (sa["metadata"]["namespace"], sa["metadata"]["name"])
        for release in platform[env].releases
        for sa in release.objects
        if sa["kind"] == "ServiceAccount"
    }
    [instance] = objects(platform[env], "flux", "FluxInstance")
    # Flux's own controllers' service accounts are made by the operator, one per component.
    by_operator = {(instance["metadata"]["namespace"], c) for c in instance["spec"]["components"]}
    for association in resources(platform_stacks[f"{env}-platform"], "aws_eks_pod_identity_association").values():
        account = (association["namespace"], association["service_account"])
        assert account in rendered | by_operator, account


@pytest.mark.parametrize("env", ENVS)
def test_flux_charts_not_cached_render_the_newest_cached_with_a_notice(
    platform: dict[str, PlatformRender], env: str
) -> None:
    for chart in (flux.OPERATOR_CHART, flux.INSTANCE_CHART):
        [release] = [r for r in platform[env].releases if r.chart == chart.name]
        assert release.pinned_version == chart.version
        if (CACHE / f"{chart.name}-{chart.version}.tgz").is_file():
            assert (release.rendered_version, release.notice) == (chart.version, None)
            continue
        newest = max(cached_versions(CACHE, chart.name), key=version_key)
        assert release.rendered_version == newest != chart.version
        assert release.notice is not None
        assert release.notice.startswith(
            f"{chart.name} {chart.version} is not in the chart cache ({CACHE}); rendered {newest} instead ("
        )
    others = [r for r in platform[env].releases if r.chart not in ("flux-operator", "flux-instance")]
    assert [r.notice for r in others] == [None, None, None]


@pytest.mark.parametrize("env", ENVS)
def test_namespaced_objects_land_in_their_release_namespace(platform: dict[str, PlatformRender], env: str) -> None:
    for release in platform[env].releases:
        for obj in release.objects:
            namespace = obj["metadata"].get("namespace")
            if obj["kind"] in ("Deployment", "ServiceAccount", "Service", "FluxInstance"):
                assert namespace == release.namespace, (release.name, obj["kind"])
            if obj["kind"] in ("ClusterRole", "CustomResourceDefinition", "IngressClass", "IngressClassParams"):
                assert namespace is None, (release.name, obj["kind"], obj["metadata"]["name"])


@pytest.mark.parametrize("env", ENVS)
def test_every_value_the_stacks_supply_changes_the_chart(platform: dict[str, PlatformRender], env: str) -> None:
    assert platform[env].ignored_values == []


def test_a_misspelt_value_is_reported(platform_stacks: dict[str, Document]) -> None:
    stack = with_values(platform_stacks["dev-platform"], "aws-load-balancer-controller", {"replicaCounnt": 3})
    render = render_platform_releases(stack, kubernetes_version="1.35", cache=CACHE)
    assert render.ignored_values == [
        "dev-platform: helm_release aws-load-balancer-controller (aws-load-balancer-controller 1.14.0): "
        f"values.replicaCounnt {MESSAGE}"
    ]


def test_a_misspelt_value_passes_the_schema_and_is_still_reported(platform_stacks: dict[str, Document]) -> None:
    """external-dns ships a values.schema.json, but it admits unknown keys."""
    stack = with_values(
        platform_stacks["dev-platform"], "external-dns", {"serviceAccount": {"create": True, "nmae": "x"}}
    )
    render = render_platform_releases(stack, kubernetes_version="1.35", cache=CACHE)
    assert render.ignored_values == [
        f"dev-platform: helm_release external-dns (external-dns 1.21.1): values.serviceAccount.nmae {MESSAGE}"
    ]


def test_a_value_of_the_wrong_type_is_rejected_by_the_schema(platform_stacks: dict[str, Document]) -> None:
    stack = with_values(platform_stacks["dev-platform"], "external-secrets", {"replicaCount": "two"})
    assert problems(stack) == [
        "dev-platform: helm_release external-secrets (external-secrets 1.0.0): "
        "values.replicaCount: got string, want integer (values.schema.json)"
    ]


def test_an_expression_without_a_stand_in_is_an_error(platform_stacks: dict[str, Document]) -> None:
    stack = with_values(
        platform_stacks["dev-platform"],
        "external-dns",
        {"podAnnotations": {"x": "${aws_lambda_function.hook_0A1B2C3D.arn}"}},
    )
    assert problems(stack) == [
        "dev-platform: helm_release external-dns (external-dns 1.21.1): values.podAnnotations.x: "
        "${aws_lambda_function.hook_0A1B2C3D.arn} is known only after deploy and has no offline stand-in "
        "(add the resource type and attribute to render/terraform_stand_ins.py STAND_INS)"
    ]


def test_an_expression_is_replaced_by_a_stand_in_of_its_kind(
    platform_stacks: dict[str, Document], environments: dict[str, Environment]
) -> None:
    reference = "data.terraform_remote_state.cross-stack-reference-input-dev-network.outputs.cross-stack-output-"
    stack = with_values(
        platform_stacks["dev-platform"],
        "external-dns",
        {
            "podAnnotations": {
                "subnet": "${" + reference + "aws_subnetnetwork_private-0_0A1B2C3Did}",
                "role": "role ${aws_iam_role.x_0A1B2C3D.arn}",
                "literal": "$${keep}",
            }
        },
    )
    render = render_platform_releases(stack, kubernetes_version="1.35", cache=CACHE, check_values=False)
    [deployment] = objects(render, "external-dns", "Deployment")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert re.fullmatch(r"subnet-[0-9a-f]{17}", annotations["subnet"])
    assert re.fullmatch(rf"role arn:aws:iam::{environments['dev'].account_id}:role/[\w+=,.@-]+", annotations["role"])
    assert annotations["literal"] == "${keep}"  # Terraform's escape: a literal `${`, not an expression


def test_set_and_set_list_apply_after_the_values_in_order(platform_stacks: dict[str, Document]) -> None:
    [body] = [
        b for b in platform_stacks["dev-platform"]["resource"]["helm_release"].values() if b["chart"] == "external-dns"
    ]
    stack = with_release(
        platform_stacks["dev-platform"],
        "external-dns",
        values=[*body["values"], "interval: 5m\nserviceAccount:\n  annotations:\n    a: b\n"],
        set=[{"name": "interval", "value": "7m"}],
        set_list=[{"name": "sources", "value": ["ingress"]}],
    )
    render = render_platform_releases(stack, kubernetes_version="1.35", cache=CACHE, check_values=False)
    arguments = args(render, "external-dns")
    assert "--interval=7m" in arguments
    assert [a for a in arguments if a.startswith("--source=")] == ["--source=ingress"]
    [account] = objects(render, "external-dns", "ServiceAccount")
    assert account["metadata"]["name"] == "external-dns"
    assert account["metadata"]["annotations"] == {
        "a": "b",
        "meta.helm.sh/release-name": "external-dns",  # set by `helm install` on every object it creates
        "meta.helm.sh/release-namespace": "external-dns",
    }


def test_set_sensitive_is_refused(platform_stacks: dict[str, Document]) -> None:
    stack = with_release(
        platform_stacks["dev-platform"], "external-dns", set_sensitive=[{"name": "aws.secretKey", "value": "s3cr3t"}]
    )
    assert problems(stack) == [
        "dev-platform: helm_release external-dns (external-dns 1.21.1): "
        "set_sensitive (aws.secretKey): secrets are never rendered; give the chart a Kubernetes Secret instead"
    ]


def test_a_chart_absent_from_the_cache_with_nothing_to_fall_back_on(
    platform_stacks: dict[str, Document], tmp_path: Path
) -> None:
    cache = tmp_path / "charts"
    cache.mkdir(mode=0o555)
    with pytest.raises(RenderError) as caught:
        render_platform_releases(
            with_release(platform_stacks["dev-platform"], "external-dns"), kubernetes_version="1.35", cache=cache
        )
    assert caught.value.problems == (
        "dev-platform: helm_release external-dns (external-dns 1.21.1): external-dns 1.21.1 is not in the chart "
        f"cache ({cache}) and no other version of it is (the cache is read-only, so it was not pulled)",
    )


def test_the_kubernetes_version_is_the_charts_capability(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    (tmp_path / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n"
        "  version: {{ .Capabilities.KubeVersion.Version | quote }}\n"
    )
    with LoadedChart(tmp_path, where="probe") as chart:
        for version in ("1.33", "1.35"):
            [config_map] = chart.render({}, release="probe", namespace="probe", kubernetes_version=version)
            assert config_map["data"]["version"] == f"v{version}.0"


def test_the_controllers_crds_come_from_the_charts_crds_folder(platform: dict[str, PlatformRender]) -> None:
    names = {
        crd["metadata"]["name"]
        for crd in objects(platform["dev"], "aws-load-balancer-controller", "CustomResourceDefinition")
    }
    assert {"targetgroupbindings.elbv2.k8s.aws", "ingressclassparams.elbv2.k8s.aws"} <= names


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""


def local_chart_stack(tmp_path: Path, templates: dict[str, str]) -> tuple[Document, Path]:
    """A platform stack with one release of a chart packaged into a cache of its own."""
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    (chart / "crds").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "crds" / "widgets.yaml").write_text(WIDGET_CRD)
    for name, text in templates.items():
        (chart / "templates" / name).write_text(text)
    cache = tmp_path / "cache"
    cache.mkdir()
    helm_python.package(chart, destination=cache)
    release = {
        "name": "demo",
        "namespace": "demo-ns",
        "chart": "demo",
        "version": "0.1.0",
        "repository": "",
        "values": ["{}"],
    }
    stack = {
        "//": {"metadata": {"stackName": "dev-platform"}},
        "resource": {"helm_release": {"demo_0A1B2C3D": release}},
    }
    return stack, cache


def test_objects_without_a_namespace_get_the_releases_when_namespaced(tmp_path: Path) -> None:
    stack, cache = local_chart_stack(
        tmp_path,
        {
            "objects.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: b\n---\n"
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: c\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: d\n  namespace: elsewhere\n"
        },
    )
    render = render_platform_releases(stack, kubernetes_version="1.35", cache=cache, check_values=False)
    placed = {(o["kind"], o["metadata"].get("namespace")) for o in render.release("demo").objects}
    assert placed == {
        ("CustomResourceDefinition", None),
        ("ConfigMap", "demo-ns"),
        ("ClusterRole", None),
        ("Widget", "demo-ns"),
        ("Secret", "elsewhere"),
    }


def test_a_kind_no_crd_defines_is_an_error(tmp_path: Path) -> None:
    stack, cache = local_chart_stack(
        tmp_path, {"gadget.yaml": "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n"}
    )
    with pytest.raises(RenderError) as caught:
        render_platform_releases(stack, kubernetes_version="1.35", cache=cache, check_values=False)
    assert caught.value.problems == (
        "dev-platform: helm_release demo: Gadget g: no CRD among the rendered objects defines Gadget in "
        "example.com/v1, so whether it is namespaced is unknown",
    )
