"""Git-access invariant: image automation without a fitting credential is reported."""

from __future__ import annotations

import json

from system import git_access
from system.facts import SystemFacts
from tests.system.conftest import FactsFactory


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in git_access.check(facts)]


def edit_sync(facts: SystemFacts, **changes: object) -> None:
    for body in facts.stack("platform")["resource"]["helm_release"].values():
        if body["name"] == "flux":
            values = json.loads(body["values"][0])
            sync = values["instance"]["sync"]
            for key, value in changes.items():
                if value is None:
                    sync.pop(key, None)
                else:
                    sync[key] = value
            body["values"] = [json.dumps(values)]


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_image_automation_without_a_credential_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    edit_sync(facts, pullSecret=None, provider=None)
    assert lines(facts) == [
        "dev-platform: FluxInstance sync: git-access: ImageUpdateAutomation flux-system/guestbook pushes to "
        "https://github.com/acme/platform.git with no Git credential"
    ]


def test_a_github_app_on_an_ssh_url_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    edit_sync(facts, url="ssh://git@github.com/acme/platform.git", provider="github")
    assert lines(facts) == [
        "dev-platform: FluxInstance sync: git-access: a GitHub App authenticates only https:// URLs, "
        "not ssh://git@github.com/acme/platform.git"
    ]


def test_environments_without_image_automation_need_no_credential(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    edit_sync(facts, pullSecret=None, provider=None)
    assert lines(facts) == []
