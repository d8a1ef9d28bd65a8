"""A small repository for the cross-environment checks: the shipped dev and prod, and a
third environment scaffolded from dev as a user would (`make new-env`), then edited."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from scripts.new_env import scaffold
from tests.conftest import ROOT

SHIPPED = ("dev", "prod")
# What a user changes in a copy of dev that stays in dev's account (the lines validation asks for).
DISTINCT = {
    "network.cidr": "10.30.0.0/16",
    "domain": "staging.acme.example.com",
    "state.bucket": "acme-terraform-state-111111111111-staging",
    "state.kms_key_arn": "arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-4111-8111-111111111111",
    "delivery.github_oidc_provider": "existing",  # dev's bootstrap creates the account's provider
}


def shipped_repo(tmp_path: Path) -> Path:
    """environments/ and clusters/ of the shipped examples only, whatever a fork has added."""
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    for name in SHIPPED:
        shutil.copy(ROOT / "environments" / f"{name}.yaml", repo / "environments" / f"{name}.yaml")
        shutil.copytree(ROOT / "clusters" / name, repo / "clusters" / name)
        shutil.copytree(ROOT / "clusters" / "apps" / name, repo / "clusters" / "apps" / name)
    for shared in ("apps/base", "infrastructure"):
        shutil.copytree(ROOT / "clusters" / shared, repo / "clusters" / shared)
    return repo


def edit_environment(repo: Path, name: str, changes: dict[str, Any]) -> None:
    """Set dotted fields of environments/<name>.yaml (a value of None removes the key)."""
    path = repo / "environments" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = data
        for part in parents:
            target = target[part]
        if value is None:
            target.pop(last)
        else:
            target[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def with_staging(tmp_path: Path, **changes: Any) -> Path:
    """The shipped repository plus staging, scaffolded from dev and made distinct, then `changes`
    (dotted fields spelled with `__`, e.g. network__cidr)."""
    repo = shipped_repo(tmp_path)
    scaffold(repo, "staging", "dev")
    edit_environment(repo, "staging", {**DISTINCT, **{k.replace("__", "."): v for k, v in changes.items()}})
    return repo


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))
