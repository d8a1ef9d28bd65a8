"""Custom resources checked against the CRDs that will be installed, as the API server checks them.

The CRDs are the real ones: Flux v2.8.8 and flux-operator v0.58.0 as flux-operator
installs them, and the External Secrets chart 1.0.0 rendered with its CRDs. Semantics
none of those CRDs use (int-or-string, nullable, embedded resources, set and map lists,
rules this evaluator cannot compile) are shown on a small CRD written here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from render.crd_formats import CHECKS
from render.crds import CrdCatalog, flux_crds, operator_crds
from render.errors import RenderError
from stacks.config import Environment
from stacks.constructs.addons import flux
from tests.catalogs import ESO, FLUX, OPERATOR, chart_objects, eso_catalog, flux_catalog, full_catalog
from tests.conftest import ENVIRONMENT_NAMES, ROOT

SKIPPED = (
    "(object): some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


def resource(api_version: str, kind: str, spec: dict[str, Any], name: str = "x") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": spec,
    }


SOURCE = {"kind": "GitRepository", "name": "flux-system"}
KUSTOMIZATION = resource(
    "kustomize.toolkit.fluxcd.io/v1",
    "Kustomization",
    {"interval": "10m", "path": "./apps", "prune": True, "sourceRef": SOURCE},
)
HELM_RELEASE = resource(
    "helm.toolkit.fluxcd.io/v2",
    "HelmRelease",
    {"interval": "5m", "chart": {"spec": {"chart": "./charts/app", "sourceRef": SOURCE}}},
)
IMAGE_REPOSITORY = resource(
    "image.toolkit.fluxcd.io/v1beta2",
    "ImageRepository",
    {"image": "ghcr.io/acme/app", "interval": "1m", "provider": "aws"},
)


def changed(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `obj` with the dotted `path` set to `value` (or removed, for `...`)."""
    result = copy.deepcopy(obj)
    *parents, last = path.split(".")
    target = result
    for part in parents:
        target = target.setdefault(part, {})
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return result


# --- versions ---------------------------------------------------------------------------


def test_a_deprecated_version_is_refused_naming_its_replacement() -> None:
    # flux-v2.8.8/image-reflector-controller.yaml still serves v1beta2, deprecated, with this warning.
    assert flux_catalog().validate(IMAGE_REPOSITORY) == [
        "apiVersion: image.toolkit.fluxcd.io/v1beta2 ImageRepository is deprecated (Flux v2.8.8 image-reflector-controller): "
        "'v1beta2 ImageRepository is deprecated, upgrade to v1'; use image.toolkit.fluxcd.io/v1"
    ]
    assert flux_catalog().serves("image.toolkit.fluxcd.io/v1beta2", "ImageRepository")
    assert flux_catalog().validate(changed(IMAGE_REPOSITORY, "apiVersion", "image.toolkit.fluxcd.io/v1")) == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "v1beta1",
            f"apiVersion: external-secrets.io/v1beta1 is no longer served for ExternalSecret ({ESO}); served: external-secrets.io/v1",
        ),
        (
            "v2",
            f"apiVersion: external-secrets.io/v2 is not a version of ExternalSecret ({ESO}); served: external-secrets.io/v1",
        ),
    ],
)
def test_a_version_the_crd_does_not_serve_is_refused(version: str, expected: str) -> None:
    secret = resource(f"external-secrets.io/{version}", "ExternalSecret", {})
    assert eso_catalog().validate(secret) == [expected]
    assert not eso_catalog().serves(secret["apiVersion"], "ExternalSecret")


def test_a_kind_of_a_component_that_is_not_installed_is_not_served() -> None:
    without_images = flux_catalog(flux.CONTROLLERS)
    policy = changed(IMAGE_REPOSITORY, "kind", "ImagePolicy")
    assert without_images.validate(policy) == [
        "apiVersion: image.toolkit.fluxcd.io/v1beta2 ImagePolicy is not served by any controller installed in this environment"
    ]
    assert not without_images.serves("image.toolkit.fluxcd.io/v1", "ImagePolicy")
    assert without_images.is_namespaced("image.toolkit.fluxcd.io/v1", "ImagePolicy") is None


def test_scope_comes_from_the_crd() -> None:
    catalog = full_catalog()
    assert catalog.is_namespaced("external-secrets.io/v1", "ExternalSecret") is True
    assert catalog.is_namespaced("external-secrets.io/v1", "ClusterSecretStore") is False
    assert catalog.is_namespaced("fluxcd.controlplane.io/v1", "FluxInstance") is True


# --- schemas ----------------------------------------------------------------------------


def test_an_unknown_field_deep_in_the_spec_is_refused() -> None:
    release = changed(HELM_RELEASE, "spec.install.remediation", {"retries": 3, "retriez": 3})
    assert flux_catalog().validate(release) == [
        "spec.install.remediation: Additional properties are not allowed ('retriez' was unexpected)"
    ]


def test_a_value_of_the_wrong_type_is_refused_and_the_rules_wait() -> None:
    assert flux_catalog().validate(changed(KUSTOMIZATION, "spec.prune", "yes")) == [
        "spec.prune: 'yes' is not of type 'boolean'",
        SKIPPED,
    ]


def test_a_value_outside_the_enum_is_refused() -> None:
    repository = resource(
        "source.toolkit.fluxcd.io/v1", "GitRepository", {"interval": "1m", "url": "https://x", "provider": "gitlab"}
    )
    assert flux_catalog().validate(repository) == [
        "spec.provider: 'gitlab' is not one of ['generic', 'azure', 'github']",
        SKIPPED,
    ]


def test_a_missing_required_field_is_refused() -> None:
    assert flux_catalog().validate(changed(KUSTOMIZATION, "spec.sourceRef", ...)) == [
        "spec: 'sourceRef' is a required property",
        SKIPPED,
    ]


def test_helm_release_values_take_anything() -> None:
    values = {"replicas": 2, "nested": {"anything": [1, "two", {"three": None}]}, "x-unknown": True}
    assert flux_catalog().validate(changed(HELM_RELEASE, "spec.values", values)) == []


def test_a_string_format_the_api_server_checks_is_checked() -> None:
    server = {"url": "https://kubernetes.default", "caBundle": "bm90IGJhc2U2NA=="}
    store = {"provider": {"kubernetes": {"server": server, "auth": {"serviceAccount": {"name": "reader"}}}}}
    store_obj = {**resource("external-secrets.io/v1", "ClusterSecretStore", store), "metadata": {"name": "cluster"}}
    assert eso_catalog().validate(store_obj) == []
    server["caBundle"] = "not base64!"
    assert eso_catalog().validate(store_obj) == [
        "spec.provider.kubernetes.server.caBundle: 'not base64!' is not a 'byte'"
    ]


def test_metadata_is_object_meta() -> None:
    assert flux_catalog().validate(changed(KUSTOMIZATION, "metadata.labelz", {"a": "b"})) == [
        "metadata: Additional properties are not allowed ('labelz' was unexpected)"
    ]
    assert flux_catalog().validate(changed(KUSTOMIZATION, "metadata.labels", {"team": 1})) == [
        "metadata.labels.team: 1 is not of type 'string'",
        SKIPPED,
    ]
    [problem] = flux_catalog().validate(changed(KUSTOMIZATION, "metadata.name", "Apps_1"))
    assert problem.startswith("metadata.name: Invalid value: 'Apps_1': a lowercase RFC 1123 subdomain")
    [problem] = flux_catalog().validate(changed(KUSTOMIZATION, "metadata.labels", {"acme.com/team": "a b"}))
    assert problem.startswith("metadata.labels.acme.com/team: Invalid value: 'a b': a label value must")
    assert flux_catalog().validate(changed(KUSTOMIZATION, "metadata.name", ...)) == [
        "metadata.name: Required value: name or generateName is required"
    ]


# --- CEL rules --------------------------------------------------------------------------


def test_a_cel_rule_of_the_crd_is_evaluated() -> None:
    both = changed(HELM_RELEASE, "spec.chartRef", {"kind": "OCIRepository", "name": "app"})
    assert flux_catalog().validate(both) == ["spec: either chart or chartRef must be set"]


def test_cel_rules_see_the_defaults() -> None:
    # Bucket spec.provider defaults to 'generic', for which the STS provider must be 'ldap'.
    bucket = resource(
        "source.toolkit.fluxcd.io/v1",
        "Bucket",
        {
            "bucketName": "b",
            "endpoint": "s3.amazonaws.com",
            "interval": "5m",
            "sts": {"provider": "aws", "endpoint": "https://sts.amazonaws.com"},
        },
    )
    assert flux_catalog().validate(bucket) == [
        "spec: 'ldap' is the only supported STS provider for the 'generic' Bucket provider"
    ]
    assert flux_catalog().validate(changed(bucket, "spec.provider", "aws")) == []


def test_the_only_rule_of_the_installed_crds_left_unchecked_is_a_transition_rule() -> None:
    assert full_catalog().unchecked_rules() == [
        "FluxInstance fluxcd.controlplane.io/v1 (flux-operator v0.58.0): spec.sync.name: self == oldSelf: "
        "transition rule (reads oldSelf): the API server evaluates it only on update, against the stored object"
    ]


# --- the resources this repository installs ---------------------------------------------


def fluxinstance(env: Environment) -> dict[str, Any]:
    """The FluxInstance the platform stack installs (flux-instance chart 0.49.0, the newest here; 0.58.0 is pinned)."""
    props = flux.flux_instance(
        repository_url=env.platform.flux.sync_url(repository=env.repository),
        branch=env.platform.flux.branch,
        path=f"clusters/{env.name}",
        git_credential=env.platform.flux.git_credential,
        image_repository_arn="arn:aws:ecr:eu-west-1:111111111111:repository/app"
        if env.platform.flux.image_automation
        else None,
        overrides={},
    )
    objects = chart_objects("flux-instance-0.49.0.tgz", dict(props.values), props.release)
    [instance] = [o for o in objects if o["kind"] == "FluxInstance"]
    return instance


@pytest.mark.parametrize("env", ENVIRONMENT_NAMES)
def test_the_flux_instance_is_valid_for_the_operator(environments: dict[str, Environment], env: str) -> None:
    instance = fluxinstance(environments[env])
    operator = operator_crds(OPERATOR)
    assert operator.validate(instance) == []
    assert operator.validate(changed(instance, "metadata.name", "flux2")) == [
        "(object): the only accepted name for a FluxInstance is 'flux'"
    ]
    allowed = operator_schema_components()
    wrong = changed(instance, "spec.components", ["source-controller", "image-controller"])
    assert operator.validate(wrong) == [f"spec.components.1: 'image-controller' is not one of {allowed}", SKIPPED]


def operator_schema_components() -> list[str]:
    """The component names the FluxInstance CRD allows, read from the CRD itself."""
    crd = yaml.safe_load((OPERATOR / "fluxcd.controlplane.io_fluxinstances.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    return list(spec["properties"]["components"]["items"]["enum"])


def test_the_repository_external_secret_is_valid_for_the_chart_crd() -> None:
    text = (ROOT / "clusters/infrastructure/webhook/flux-webhook.yaml").read_text()
    [secret] = [d for d in yaml.safe_load_all(text) if d["kind"] == "ExternalSecret"]
    assert eso_catalog().validate(secret) == []
    assert eso_catalog().validate(changed(secret, "spec.target.creationPolicy", "Owned")) == [
        "spec.target.creationPolicy: 'Owned' is not one of ['Owner', 'Orphan', 'Merge', 'None']"
    ]


CUSTOM_GROUPS = (".fluxcd.io", "external-secrets.io")  # Flux, flux-operator, External Secrets


def flux_tree_resources() -> list[Any]:
    """Every custom resource under clusters/, as written (before substitution), minus kustomize patches."""
    patches = {
        (path.parent / patch["path"]).resolve()
        for path in (ROOT / "clusters").rglob("kustomization.yaml")
        for patch in yaml.safe_load(path.read_text()).get("patches", [])
        if "path" in patch
    }
    found = []
    for path in sorted((ROOT / "clusters").rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.resolve() in patches:
            continue
        for obj in yaml.safe_load_all(path.read_text()):
            if obj and obj["apiVersion"].partition("/")[0].endswith(CUSTOM_GROUPS):
                shown = f"{path.relative_to(ROOT)}:{obj['kind']}/{obj['metadata']['name']}"
                found.append(pytest.param(obj, id=shown))
    return found


@pytest.mark.parametrize("obj", flux_tree_resources())
def test_every_custom_resource_of_the_flux_tree_is_valid(obj: dict[str, Any]) -> None:
    assert full_catalog().validate(obj) == []


# --- semantics no installed CRD uses, on a CRD of our own -------------------------------


def widget_catalog(spec: dict[str, Any], *, scope: str = "Namespaced") -> CrdCatalog:
    schema = {"type": "object", "properties": {"spec": {"type": "object", **spec}}}
    version = {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
    names = {"kind": "Widget", "plural": "widgets"}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": names, "scope": scope, "versions": [version]},
    }
    return CrdCatalog.from_documents([crd], "test CRD")


def widget(spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_int_or_string() -> None:
    catalog = widget_catalog({"properties": {"port": {"x-kubernetes-int-or-string": True}}})
    assert catalog.validate(widget({"port": 8080})) == []
    assert catalog.validate(widget({"port": "http"})) == []
    assert catalog.validate(widget({"port": True})) == ["spec.port: True is not of type 'integer', 'string'"]


def test_nullable_and_the_nulls_the_api_server_drops() -> None:
    catalog = widget_catalog(
        {
            "required": ["size"],
            "properties": {"size": {"type": "integer"}, "note": {"type": "string", "nullable": True}},
        }
    )
    assert catalog.validate(widget({"size": 1, "note": None})) == []
    # A null where null is not allowed is dropped before validation: a required one is then missing.
    assert catalog.validate(widget({"size": None})) == ["spec: 'size' is a required property"]


def test_an_embedded_resource_is_checked_like_a_resource() -> None:
    template = {"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True}
    catalog = widget_catalog({"properties": {"template": template}})
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    assert catalog.validate(widget({"template": good})) == []
    assert catalog.validate(widget({"template": {"apiVersion": "v1", "metadata": {"name": "c"}}})) == [
        "spec.template: 'kind' is a required property"
    ]
    bad_meta = {**good, "metadata": {"name": "c", "uid": "1"}}
    assert catalog.validate(widget({"template": bad_meta})) == [
        "spec.template.metadata: Additional properties are not allowed ('uid' was unexpected)"
    ]


def test_set_and_map_lists_hold_no_duplicates() -> None:
    catalog = widget_catalog(
        {
            "properties": {
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "port": {"type": "integer"}},
                    },
                },
            }
        }
    )
    assert (
        catalog.validate(widget({"tags": ["a", "b"], "ports": [{"name": "a", "port": 1}, {"name": "b", "port": 1}]}))
        == []
    )
    assert catalog.validate(
        widget({"tags": ["a", "a"], "ports": [{"name": "a", "port": 1}, {"name": "a", "port": 2}]})
    ) == [
        'spec.tags.1: Duplicate value: "a"',
        'spec.ports.1: Duplicate value: {"name": "a"}',
    ]


def test_cel_message_expression_field_path_and_evaluation_errors() -> None:
    rules = [
        {
            "rule": "self.min <= self.max",
            "messageExpression": "'min ' + string(self.min) + ' exceeds max'",
            "fieldPath": ".min",
        },
        {"rule": "self.max < 10"},
    ]
    catalog = widget_catalog(
        {"x-kubernetes-validations": rules, "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}}}
    )
    assert catalog.validate(widget({"min": 1, "max": 2})) == []
    assert catalog.validate(widget({"min": 30, "max": 20})) == [
        "spec.min: min 30 exceeds max",
        "spec: failed rule: self.max < 10",
    ]
    [problem] = catalog.validate(widget({"min": 1}))[:1]
    assert problem.startswith("spec: ") and problem.endswith(" evaluating rule: self.min <= self.max")


def test_a_rule_that_cannot_be_evaluated_is_listed_not_passed() -> None:
    rules = [{"rule": "isURL(self.url)", "message": "url must be a URL"}, {"rule": "self.url == oldSelf.url"}]
    catalog = widget_catalog({"x-kubernetes-validations": rules, "properties": {"url": {"type": "string"}}})
    assert catalog.validate(widget({"url": "not a url"})) == []
    unchecked = catalog.unchecked_rules()
    assert len(unchecked) == 2
    assert unchecked[0].startswith(
        "Widget example.com/v1 (test CRD): spec: isURL(self.url): cel-expr-python cannot compile it: "
    )
    assert "undeclared reference to 'isURL'" in unchecked[0]
    assert unchecked[1].endswith(
        "spec: self.url == oldSelf.url: transition rule (reads oldSelf): the API server evaluates it only on update, against the stored object"
    )


# --- building catalogs ------------------------------------------------------------------


def test_a_component_flux_does_not_have_is_an_error() -> None:
    with pytest.raises(RenderError) as caught:
        flux_crds(FLUX, ["source-controller", "image-controller"])
    assert caught.value.problems == (
        f"{FLUX}/image-controller.yaml: no such file: image-controller is not a component of Flux v2.8.8",
    )


def test_a_malformed_crd_is_an_error() -> None:
    crd = yaml.safe_load((OPERATOR / "fluxcd.controlplane.io_fluxreports.yaml").read_text())
    del crd["spec"]["scope"]
    with pytest.raises(RenderError) as caught:
        CrdCatalog.from_documents([crd], "test")
    assert caught.value.problems == (
        "test: CustomResourceDefinition fluxreports.fluxcd.controlplane.io: missing field 'scope'",
    )


def test_the_same_crd_from_two_origins_must_agree() -> None:
    crd = yaml.safe_load((OPERATOR / "fluxcd.controlplane.io_fluxreports.yaml").read_text())
    same = CrdCatalog.from_documents([crd], "a").merged(CrdCatalog.from_documents([copy.deepcopy(crd)], "b"))
    assert same.serves("fluxcd.controlplane.io/v1", "FluxReport")
    crd["spec"]["scope"] = "Cluster"
    with pytest.raises(RenderError) as caught:
        same.merged(CrdCatalog.from_documents([crd], "c"))
    assert caught.value.problems == (
        "CustomResourceDefinition fluxreports.fluxcd.controlplane.io is defined differently by a and c",
    )


# --- formats: facts read in kube-openapi pkg/validation/strfmt/default_test.go ----------

FORMAT_FACTS = [
    ("byte", "aGVsbG8=", True),
    ("byte", "aGVsbG8", False),
    ("datetime", "2014-12-15T19:30:20.000Z", True),
    ("datetime", "2014-12-15 19:30:20", False),
    ("date", "2014-12-15", True),
    ("date", "2014-13-15", False),
    ("duration", "3 hours", True),
    ("duration", "1h30m", True),
    ("duration", "forever", False),
    ("ipv4", "192.168.1.01", True),
    ("ipv4", "198.168.254.2.2", False),
    ("ipv6", "::1", True),
    ("ipv6", "127.0.0.1", False),
    ("cidr", "192.0.02.1/24", True),
    ("cidr", "2001:db8:a0b:12f0::1/32", True),
    ("cidr", "198.168.254.2", False),
    ("mac", "01:02:03:04:05:06", True),
    ("mac", "01:02:03:04:05", False),
    ("hostname", "www.example.ôlà", True),
    ("hostname", "ex$ample", True),
    ("hostname", "1.1.1.1", False),
    ("hostname", "www.example_underscored.org", False),
    ("uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", True),
    ("uuid", "not-a-uuid", False),
    ("isbn10", "0321751043", True),
    ("isbn13", "978-0321751041", True),
    ("isbn10", "0321751044", False),
]


@pytest.mark.parametrize(("name", "value", "valid"), FORMAT_FACTS)
def test_formats_as_kube_openapi_checks_them(name: str, value: str, valid: bool) -> None:
    assert CHECKS[name](value) is valid


def test_every_format_kubernetes_supports_is_checked() -> None:
    # apiextensions-apiserver pkg/apiserver/validation/formats.go, supportedVersionedFormats up to 1.34.
    supported = "bsonobjectid uri email hostname ipv4 ipv6 cidr mac uuid uuid3 uuid4 uuid5 isbn isbn10 isbn13 "
    supported += "creditcard ssn hexcolor rgbcolor byte password date duration datetime k8s-short-name k8s-long-name"
    assert sorted(CHECKS) == sorted(supported.split())
