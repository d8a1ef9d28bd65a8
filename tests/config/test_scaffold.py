"""`make new-env`'s script: what it copies and renames, what it refuses (writing nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.new_env import ScaffoldError, main, scaffold
from tests.config.fleet_repo import shipped_repo


def files(repo: Path) -> dict[str, str]:
    return {p.relative_to(repo).as_posix(): p.read_text() for p in sorted(repo.rglob("*")) if p.is_file()}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    found = shipped_repo(tmp_path)
    monkeypatch.chdir(found)
    return found


def test_copies_the_file_and_both_flux_folders_renaming_every_mention(repo: Path) -> None:
    before = files(repo)
    written = scaffold(repo, "staging", "dev")
    after = files(repo)
    assert {k: v for k, v in after.items() if k in before} == before
    assert (
        sorted(set(after) - set(before))
        == sorted(w.path.relative_to(repo).as_posix() for w in written)
        == [
            "clusters/apps/staging/guestbook-values.yaml",
            "clusters/apps/staging/image-automation.yaml",
            "clusters/apps/staging/kustomization.yaml",
            "clusters/staging/apps.yaml",
            "clusters/staging/flux-commit-status.yaml",
            "clusters/staging/flux-webhook.yaml",
            "clusters/staging/infrastructure.yaml",
            "environments/staging.yaml",
        ]
    )
    assert after["environments/staging.yaml"].endswith(before["environments/dev.yaml"])
    assert "path: ./clusters/apps/staging\n" in after["clusters/staging/apps.yaml"]
    automation = after["clusters/apps/staging/image-automation.yaml"]
    assert "path: ./clusters/apps/staging\n" in automation
    assert 'messageTemplate: "staging: roll out guestbook' in automation
    flux_files = [text for name, text in after.items() if "staging/" in name]
    assert not any("dev" in text.replace("/dev/", "") for text in flux_files)


def test_from_prod_gets_no_image_automation(repo: Path) -> None:
    scaffold(repo, "preprod", "prod")
    assert sorted(p.name for p in (repo / "clusters/apps/preprod").iterdir()) == [
        "guestbook-values.yaml",
        "kustomization.yaml",
    ]
    assert "path: ./clusters/apps/preprod\n" in (repo / "clusters/preprod/apps.yaml").read_text()


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        (
            "prod",
            "dev",
            [
                "NAME: environments/prod.yaml already exists",
                "NAME: clusters/prod already exists",
                "NAME: clusters/apps/prod already exists",
            ],
        ),
        ("base", "dev", ["NAME: clusters/apps/base already exists"]),
        (
            "Staging_1",
            "dev",
            [
                "NAME: 'Staging_1' must be a DNS label: lowercase letters, digits and '-', starting with a letter, "
                "at most 32 characters"
            ],
        ),
        ("", "dev", ["NAME: which environment to create, e.g. make new-env NAME=staging FROM=dev"]),
        ("staging", "", ["FROM: which environment to copy (one of: dev, prod)"]),
        ("staging", "qa", ["FROM: no file environments/qa.yaml (known: dev, prod)"]),
        (
            "integration-testing-eu",
            "dev",
            [
                "NAME: 'integration-testing-eu' is too long: the GitHub connection "
                "acme-integration-testing-eu-github would exceed 32 characters"
            ],
        ),
    ],
    ids=["existing", "shared folder", "invalid name", "no NAME", "no FROM", "unknown FROM", "too long"],
)
def test_refusals_write_nothing(repo: Path, name: str, source: str, expected: list[str]) -> None:
    before = files(repo)
    with pytest.raises(ScaffoldError) as caught:
        scaffold(repo, name, source)
    assert caught.value.lines == expected
    assert files(repo) == before


def test_source_without_entry_points_is_refused(repo: Path) -> None:
    shutil.rmtree(repo / "clusters/prod")
    with pytest.raises(ScaffoldError) as caught:
        scaffold(repo, "staging", "prod")
    assert caught.value.lines == ["FROM: clusters/prod/ is missing; there are no entry points to copy"]


def test_command_prints_what_it_wrote_and_the_edits_validation_asks_for(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staging", "dev"], repo=repo) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "Created environment staging, copied from dev:",
        "  environments/staging.yaml",
        "  clusters/staging/apps.yaml  (1 mention of dev renamed)",
    ]
    edits = out[out.index("Next, edit environments/staging.yaml; validation reports:") + 1 : -1]
    assert [line.split(": ")[1] for line in edits] == [
        "network.cidr",
        "domain",
        "state.bucket",
        "state.kms_key_arn",
        "delivery.github_oidc_provider",
    ]
    assert out[-1].startswith("Review too: account_id")


def test_command_refusal_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dev", "prod"], repo=repo) == 2
    assert capsys.readouterr().err.splitlines() == [
        "NAME: environments/dev.yaml already exists",
        "NAME: clusters/dev already exists",
        "NAME: clusters/apps/dev already exists",
        "nothing was written.",
    ]
