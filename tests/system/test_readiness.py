"""Readiness invariant: each planted defect is reported with its exact line."""

from __future__ import annotations

import copy

from render.cluster import RenderedObject
from system import readiness
from system.facts import SystemFacts
from system.manual_steps import manual_steps, terraform_remote_secrets
from tests.system.conftest import FactsFactory

WEBHOOK_TOKEN = "'GitHub webhook token into Secrets Manager'"
COMMIT_STATUS = "'GitHub commit status credential into Secrets Manager'"


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


def test_apps_depending_on_the_commit_statuses_are_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    kustomization(facts, "apps").body["spec"]["dependsOn"].append({"name": "flux-commit-status"})
    assert lines(facts) == [
        f"dev: Kustomization flux-system/{name}: readiness: is on the app path but waits for the optional "
        f"manual step(s) {COMMIT_STATUS}"
        for name in ("apps", "flux-commit-status")
    ]


def test_the_commit_status_credential_is_all_its_kustomization_waits_for(system_facts: FactsFactory) -> None:
    """Without the hand-set value only flux-commit-status is not Ready; with it, it is."""
    facts = system_facts("prod")
    steps = manual_steps(facts)
    [credential] = [s for s in steps if s.name == COMMIT_STATUS.strip("'")]
    assert not credential.required
    without = readiness.simulate(facts, [s for s in steps if s != credential])
    assert [key for key, ready in sorted(without.ready.items()) if not ready] == [
        "ExternalSecret flux-system/github-status-token",
        "Kustomization flux-system/flux-commit-status",
    ]
    assert readiness.simulate(facts, steps).ready["Kustomization flux-system/flux-commit-status"]


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


def test_the_app_credential_comes_from_terraforms_first_rotation_not_a_manual_step(
    system_facts: FactsFactory,
) -> None:
    facts = system_facts("dev")
    app_secret = facts.bridge_values["db_secret_arn"]
    assert terraform_remote_secrets(facts) == {app_secret}
    assert not any(app_secret in step.remote_secrets for step in manual_steps(facts))


def test_an_app_credential_nothing_fills_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    [rotation] = facts.stack("data")["resource"]["aws_secretsmanager_secret_rotation"].values()
    rotation["rotate_immediately"] = False
    app_secret = facts.bridge_values["db_secret_arn"]
    assert lines(facts) == [
        "prod: HelmRelease guestbook/guestbook: readiness: can never become Ready: ExternalSecret "
        f"guestbook/guestbook-database: Secrets Manager value {app_secret} does not exist: no runbook step puts it "
        "and no Terraform resource fills it (a version, or a rotation started at once)",
        "prod: Kustomization flux-system/apps: readiness: can never become Ready: "
        "wait: true and HelmRelease guestbook/guestbook not Ready",
    ]
