"""Environments validated together: each mistake between them → exactly one line.

Every case starts from the shipped dev and prod plus staging, scaffolded from dev and
made distinct as the scaffold's output asks (which passes), then plants one mistake.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from scripts.new_env import scaffold
from stacks.config import ConfigError, load_environments
from tests.config.fleet_repo import DISTINCT, edit_environment, replace_in, shipped_repo, with_staging

DEV_KEY = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-4000-8000-000000000000"


def problems(repo: Path, names: Iterable[str] | None = None) -> list[str]:
    try:
        load_environments(repo / "environments", names)
    except ConfigError as error:
        return list(error.lines)
    return []


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Messages show paths relative to where the user runs the command: the repository."""
    found = with_staging(tmp_path)
    monkeypatch.chdir(found)
    return found


def test_a_scaffolded_environment_made_distinct_passes(repo: Path) -> None:
    assert problems(repo) == []
    assert problems(repo, ["staging"]) == []


def test_a_verbatim_copy_is_told_what_must_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = shipped_repo(tmp_path)
    monkeypatch.chdir(repo)
    scaffold(repo, "staging", "dev")
    assert problems(repo) == [
        "environments/staging.yaml: network.cidr: 10.10.0.0/16 overlaps 10.10.0.0/16 of environments/dev.yaml "
        "(same account 111111111111); choose a range of its own",
        "environments/staging.yaml: domain: dev.acme.example.com is also the domain of environments/dev.yaml; "
        "each environment needs its own",
        "environments/staging.yaml: state.bucket: acme-terraform-state-111111111111 is also the state bucket of "
        "environments/dev.yaml; each environment's bootstrap stack creates its own (S3 bucket names are global)",
        "environments/staging.yaml: state.kms_key_arn: is also the state key of environments/dev.yaml; remove it "
        "until staging-bootstrap has created this environment's key, then set its state_key_arn output here",
        "environments/staging.yaml: delivery.github_oidc_provider: environments/dev.yaml already creates the GitHub "
        "OIDC provider of account 111111111111 (one per account); set existing here",
    ]


def staging(**changes: object) -> Callable[[Path], object]:
    return lambda repo: edit_environment(repo, "staging", {k.replace("__", "."): v for k, v in changes.items()})


def in_file(relative: str, old: str, new: str) -> Callable[[Path], object]:
    return lambda repo: replace_in(repo / relative, old, new)


CASES: list[tuple[str, Callable[[Path], object], list[str]]] = [
    (
        "CIDR overlapping another of the same account",
        staging(network__cidr="10.10.128.0/17"),
        [
            "environments/staging.yaml: network.cidr: 10.10.128.0/17 overlaps 10.10.0.0/16 of environments/dev.yaml "
            "(same account 111111111111); choose a range of its own"
        ],
    ),
    (
        "domain of another environment",
        staging(domain="acme.example.com"),
        [
            "environments/staging.yaml: domain: acme.example.com is also the domain of environments/prod.yaml; "
            "each environment needs its own"
        ],
    ),
    (
        "state bucket of another environment",
        staging(state__bucket="acme-terraform-state-222222222222"),
        [
            "environments/staging.yaml: state.bucket: acme-terraform-state-222222222222 is also the state bucket of "
            "environments/prod.yaml; each environment's bootstrap stack creates its own (S3 bucket names are global)"
        ],
    ),
    (
        "state key of another environment",
        staging(state__kms_key_arn=DEV_KEY),
        [
            "environments/staging.yaml: state.kms_key_arn: is also the state key of environments/dev.yaml; remove it "
            "until staging-bootstrap has created this environment's key, then set its state_key_arn output here"
        ],
    ),
    (
        "two creators of one account's GitHub OIDC provider",
        staging(delivery__github_oidc_provider="create"),
        [
            "environments/staging.yaml: delivery.github_oidc_provider: environments/dev.yaml already creates the "
            "GitHub OIDC provider of account 111111111111 (one per account); set existing here"
        ],
    ),
    (
        ".yml beside .yaml",
        lambda repo: shutil.copy(repo / "environments/staging.yaml", repo / "environments/staging.yml"),
        ["environments/staging.yml: not read: environment files end in .yaml (rename it staging.yaml)"],
    ),
    (
        "other stray file",
        lambda repo: (repo / "environments/notes.txt").write_text("todo\n"),
        ["environments/notes.txt: not an environment file (only <name>.yaml is read here); move it elsewhere"],
    ),
    (
        "entry points missing",
        lambda repo: shutil.rmtree(repo / "clusters/staging"),
        [
            "clusters/staging/: missing: Flux syncs it into the staging cluster "
            "(make new-env NAME=staging FROM=<environment> creates it)"
        ],
    ),
    (
        "entry point at another environment's overlay",
        in_file("clusters/staging/apps.yaml", "path: ./clusters/apps/staging", "path: ./clusters/apps/dev"),
        [
            "clusters/staging/apps.yaml: Kustomization flux-system/apps: spec.path: ./clusters/apps/dev belongs to "
            "dev; point it at ./clusters/apps/staging"
        ],
    ),
    (
        "overlay listing another environment's file",
        in_file(
            "clusters/apps/staging/kustomization.yaml", "- image-automation.yaml", "- ../dev/image-automation.yaml"
        ),
        [
            "clusters/apps/staging/kustomization.yaml: resources: ../dev/image-automation.yaml belongs to dev; "
            "point it at clusters/apps/staging/image-automation.yaml"
        ],
    ),
    (
        "image automation writing into another environment's overlay",
        in_file(
            "clusters/apps/staging/image-automation.yaml", "path: ./clusters/apps/staging", "path: ./clusters/apps/dev"
        ),
        [
            "clusters/apps/staging/image-automation.yaml: ImageUpdateAutomation flux-system/guestbook: "
            "spec.update.path: ./clusters/apps/dev belongs to dev; point it at ./clusters/apps/staging"
        ],
    ),
    (
        "image automation objects where image automation is off",
        staging(platform__flux__image_automation=False),
        [
            "clusters/apps/staging/image-automation.yaml: ImageRepository, ImagePolicy, ImageUpdateAutomation: image "
            "automation is off in environments/staging.yaml (platform.flux.image_automation), so no controller "
            "serves them; remove this file and its entry in kustomization.yaml, or turn image automation on"
        ],
    ),
]


@pytest.mark.parametrize(("plant", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_mistake_between_environments_is_one_line(
    repo: Path, plant: Callable[[Path], object], expected: list[str]
) -> None:
    plant(repo)
    assert problems(repo) == expected


def test_overlapping_cidrs_of_different_accounts_are_fine(repo: Path) -> None:
    edit_environment(
        repo,
        "staging",
        {
            "account_id": "333333333333",
            "network.cidr": "10.10.0.0/16",
            "state.kms_key_arn": DEV_KEY.replace("111111111111", "333333333333"),
        },
    )
    assert problems(repo) == []


def test_image_automation_dropped_from_the_overlay_is_enough(repo: Path) -> None:
    edit_environment(repo, "staging", {"platform.flux.image_automation": False})
    replace_in(repo / "clusters/apps/staging/kustomization.yaml", "  - image-automation.yaml\n", "")
    assert problems(repo) == []


def test_one_prefix_of_physical_names_twice_in_an_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`acme` + `dev-blue` and `acme-dev` + `blue` both name everything acme-dev-blue-…"""
    repo = shipped_repo(tmp_path)
    monkeypatch.chdir(repo)
    for number, name in enumerate(("blue", "dev-blue"), start=4):
        scaffold(repo, name, "dev")
        edit_environment(
            repo,
            name,
            {
                **DISTINCT,
                "network.cidr": f"10.{number}0.0.0/16",
                "domain": f"{name}.acme.example.com",
                "state.bucket": f"acme-terraform-state-{name}",
                "state.kms_key_arn": DEV_KEY.replace("00000000-", f"{number}0000000-"),
            },
        )
    edit_environment(repo, "blue", {"project": "acme-dev"})
    assert problems(repo) == [
        "environments/dev-blue.yaml: project: cluster name acme-dev-blue-eks is also that of environments/blue.yaml "
        "in account 111111111111: project and name join to the same prefix of every physical name; change the "
        "project of either"
    ]


def test_environment_listed_twice(repo: Path) -> None:
    assert problems(repo, ["staging", "dev", "staging"]) == ["ENVIRONMENTS: staging is listed 2 times"]


def test_a_selection_hears_of_the_mistakes_it_is_part_of(repo: Path) -> None:
    edit_environment(repo, "staging", {"domain": "dev.acme.example.com"})
    line = (
        "environments/staging.yaml: domain: dev.acme.example.com is also the domain of environments/dev.yaml; "
        "each environment needs its own"
    )
    assert problems(repo, ["dev"]) == [line]
    assert problems(repo, ["staging"]) == [line]
    assert problems(repo, ["prod"]) == []


def test_a_broken_file_that_is_not_selected_stops_nothing(repo: Path) -> None:
    (repo / "environments/qa.yaml").write_text("tier: nonsense\n")
    assert problems(repo, ["dev"]) == []
    assert problems(repo)[0] == "environments/qa.yaml: tier: Input should be 'production' or 'non-production'"


def test_an_environment_named_after_a_shared_folder(repo: Path) -> None:
    (repo / "environments/staging.yaml").rename(repo / "environments/base.yaml")
    assert problems(repo) == ["environments/base.yaml: name: base is a shared folder of clusters/; rename the file"]


def test_hidden_files_are_not_stray(repo: Path) -> None:
    (repo / "environments/.gitkeep").write_text("")
    (repo / "environments/.staging.yaml.swp").write_text("")
    assert problems(repo) == []
