"""Readiness invariant: each planted defect is reported with its exact line."""

from __future__ import annotations

import copy

from render.cluster import RenderedObject
from system import readiness
from system.facts import SystemFacts
from tests.system.conftest import FactsFactory

WEBHOOK_TOKEN = "'GitHub webhook token into Secrets Manager'"


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in readiness.check(facts)]


def kustomization(facts: SystemFacts, name: str) -> RenderedObject:
    [found] = [
        o for o in facts.cluster.objects if o.body["kind"] == "Kustomization" and o.body["metadata"]["name"] == name
    ]
    return found


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_the_app_path_is_the_apps_and_what_they_depend_on(system_facts: FactsFactory) -> None:
    assert readiness.app_path(system_facts("prod")) == [
        "Kustomization flux-system/apps",
        "Kustomization flux-system/infra-configs",
    ]


def test_apps_depending_on_the_webhook_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    kustomization(facts, "apps").body["spec"]["dependsOn"].append({"name": "flux-webhook"})
    assert lines(facts) == [
        f"prod: Kustomization flux-system/{name}: readiness: is on the app path but waits for the optional "
        f"manual step(s) {WEBHOOK_TOKEN}"
        for name in ("apps", "flux-webhook")
    ]


def test_the_webhook_secret_among_the_app_configs_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    for obj in facts.cluster.objects:
        if obj.body["kind"] == "ExternalSecret" and obj.body["metadata"]["name"] == "github-webhook-token":
            facts.cluster.objects.remove(obj)
            facts.cluster.objects.append(
                RenderedObject("clusters/infrastructure/configs (Kustomization infra-configs)", obj.body)
            )
            break
    else:
        raise AssertionError("the webhook's ExternalSecret is not rendered")
    assert lines(facts) == [
        f"dev: Kustomization flux-system/apps: readiness: is on the app path but waits for the optional "
        f"manual step(s) {WEBHOOK_TOKEN}",
        f"dev: Kustomization flux-system/infra-configs: readiness: is on the app path but waits for the optional "
        f"manual step(s) {WEBHOOK_TOKEN}",
    ]


def test_image_objects_without_their_controller_never_become_ready(system_facts: FactsFactory) -> None:
    dev, prod = system_facts("dev"), system_facts("prod")
    [repository] = [o for o in dev.cluster.objects if o.body["kind"] == "ImageRepository"]
    prod.cluster.objects.append(
        RenderedObject("clusters/apps/prod (Kustomization apps)", copy.deepcopy(repository.body))
    )
    assert lines(prod) == [
        "prod: ImageRepository flux-system/guestbook: readiness: can never become Ready: "
        "image-reflector-controller is not installed in this environment",
        "prod: Kustomization flux-system/apps: readiness: can never become Ready: "
        "wait: true and ImageRepository flux-system/guestbook not Ready",
    ]
