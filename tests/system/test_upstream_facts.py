"""The Flux facts the system model carries are exactly what flux-operator installs for
Flux v2.8.8 (the read-only upstream cache beside the checkout)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from system import upstream_facts
from tests.conftest import ROOT

FLUX = ROOT.parent / "shared" / "upstream" / "flux-v2.8.8"
pytestmark = pytest.mark.skipif(not FLUX.is_dir(), reason=f"upstream cache {FLUX} is not beside this checkout")


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((FLUX / name).read_text()) if d]


def test_network_policies_are_fluxs() -> None:
    upstream = {d["metadata"]["name"]: d["spec"] for d in documents("policies.yaml")}
    ours = {p["name"]: p["spec"] for p in upstream_facts.FLUX_NETWORK_POLICIES}
    assert ours == upstream


@pytest.mark.parametrize("controller", sorted(upstream_facts.FLUX_CONTROLLER_PORTS))
def test_controller_ports_and_labels_are_fluxs(controller: str) -> None:
    [deployment] = [d for d in documents(f"{controller}.yaml") if d["kind"] == "Deployment"]
    template = deployment["spec"]["template"]
    assert template["metadata"]["labels"]["app"] == controller
    assert template["spec"]["serviceAccountName"] == controller
    ports = {p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
    assert ports == upstream_facts.FLUX_CONTROLLER_PORTS[controller]


def test_services_are_fluxs() -> None:
    found = {}
    for path in sorted(Path(FLUX).glob("*-controller.yaml")):
        for d in documents(path.name):
            if d["kind"] == "Service":
                found[d["metadata"]["name"]] = (
                    d["spec"]["selector"]["app"],
                    {p["port"]: p["targetPort"] for p in d["spec"]["ports"]},
                )
    assert {k: v for k, v in found.items() if k in upstream_facts.FLUX_SERVICES} == upstream_facts.FLUX_SERVICES
    assert set(upstream_facts.FLUX_SERVICES) <= set(found)
