"""Contract across the border: what Terraform writes into flux-system/cluster-vars is
exactly what the Git side under clusters/ substitutes, and docs/platform-layer.md documents it."""

from __future__ import annotations

import re

import pytest

from stacks import bridge
from stacks.config import Environment
from tests.conftest import ROOT
from tests.helpers import Document, by_path

# Flux's post-build substitution: ${var} and ${var:=default}; $${var} is an escaped literal.
SUBSTITUTION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[=-][^}]*)?\}")


def substitutions(text: str) -> set[str]:
    return set(SUBSTITUTION.findall(text))


def test_substitution_pattern_reads_flux_forms() -> None:
    assert substitutions("a: ${db_host}\nb: ${replicas:=2}\nc: $${literal}") == {"db_host", "replicas"}


def test_every_variable_under_clusters_is_a_bridge_key() -> None:
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "clusters").rglob("*.yaml")):
        for name in substitutions(path.read_text()):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert used, "no substitutions found under clusters/: the test would prove nothing"
    unknown = {name: sorted(files) for name, files in used.items() if name not in bridge.CONTRACT}
    assert unknown == {}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_platform_stack_writes_exactly_the_contract(stacks: dict[str, Document], env: str) -> None:
    _, config_map = by_path(stacks[f"{env}-platform"], "kubernetes_config_map_v1", "bridge/config-map")
    assert config_map["metadata"]["name"] == bridge.NAME
    assert set(config_map["data"]) == set(bridge.CONTRACT)
    assert all(isinstance(value, str) and value for value in config_map["data"].values())


def test_values_from_other_stacks_arrive_by_reference(stacks: dict[str, Document]) -> None:
    _, config_map = by_path(stacks["prod-platform"], "kubernetes_config_map_v1", "bridge/config-map")
    data = config_map["data"]
    for key, entry in bridge.CONTRACT.items():
        if entry.producer in ("network", "data"):
            prefix = f"${{data.terraform_remote_state.cross-stack-reference-input-prod-{entry.producer}."
            assert data[key].startswith(prefix), key


def test_flux_kustomizations_substitute_from_the_bridge() -> None:
    for path in sorted((ROOT / "clusters").glob("*/infrastructure.yaml")):
        text = path.read_text()
        assert "substituteFrom:" in text and f"name: {bridge.NAME}" in text, path


def test_docs_document_every_bridge_key() -> None:
    page = (ROOT / "docs" / "platform-layer.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| .+ \| (config|network|cluster|data|platform) \|$", page, re.MULTILINE)
    assert dict(rows) == {key: entry.producer for key, entry in bridge.CONTRACT.items()}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_app_gets_its_own_credential_and_role_never_the_master_secret(
    stacks: dict[str, Document], environments: dict[str, Environment], env: str
) -> None:
    _, config_map = by_path(stacks[f"{env}-platform"], "kubernetes_config_map_v1", "bridge/config-map")
    data = config_map["data"]
    output = data["db_secret_arn"].split(".outputs.")[1].rstrip("}")
    assert stacks[f"{env}-data"]["output"][output]["value"].startswith("${aws_secretsmanager_secret.app-credential_")
    assert data["db_role"] == environments[env].database.app_user.name
