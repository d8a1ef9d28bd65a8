"""The CodeBuild buildspec, run by bash as CodeBuild runs it, against stand-ins for the
aws and docker commands: which image it builds, how it tags it, and that a commit is
never built twice into immutable tags."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

BUILDSPEC = ROOT / "dockerbuild" / "buildspec.yml"
IMAGE_AUTOMATION = ROOT / "clusters" / "apps" / "dev" / "image-automation.yaml"


def image_policy() -> dict[str, Any]:
    [policy] = [d for d in yaml.safe_load_all(IMAGE_AUTOMATION.read_text()) if d["kind"] == "ImagePolicy"]
    assert isinstance(policy, dict)
    return policy


# What Flux's ImagePolicy selects on: a UTC timestamp to sort by, then the commit.
BUILD_TAG = re.compile(image_policy()["spec"]["filterTags"]["pattern"])
COMMIT = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
REPOSITORY_URI = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/dev/app"

AWS_STUB = """#!/usr/bin/env bash
echo "aws $*" >> "$CALLS"
case "$*" in
  *get-login-password*) echo secret-token ;;
  *--image-ids*) [ "${COMMIT_IMAGE_EXISTS:-0}" = 1 ] ;;
  *describe-images*) echo "20261101000000-0123456789ab" ;;
esac
"""
DOCKER_STUB = """#!/usr/bin/env bash
echo "docker $*" >> "$CALLS"
[ "$1" = login ] && cat > /dev/null
exit 0
"""


def buildspec() -> dict[str, object]:
    document = yaml.safe_load(BUILDSPEC.read_text())
    assert isinstance(document, dict)
    return document


def run_buildspec(
    tmp_path: Path, *, commit_image_exists: bool, commit: str | None = COMMIT
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """All phases' commands in one bash, as CodeBuild's version 0.2 runs them; `commit`
    None leaves CODEBUILD_RESOLVED_SOURCE_VERSION unset."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in (("aws", AWS_STUB), ("docker", DOCKER_STUB)):
        (stubs / name).write_text(body)
        (stubs / name).chmod(stat.S_IRWXU)
    phases = buildspec()["phases"]
    assert isinstance(phases, dict)
    script = "\n".join(
        command for phase in ("pre_build", "build", "post_build") for command in phases[phase]["commands"]
    )
    calls = tmp_path / "calls"
    env = {
        "PATH": f"{stubs}:{os.environ['PATH']}",
        "CALLS": str(calls),
        "REPOSITORY_URI": REPOSITORY_URI,
        "AWS_REGION": "eu-west-1",
        "CODEBUILD_BUILD_SUCCEEDING": "1",
        "COMMIT_IMAGE_EXISTS": "1" if commit_image_exists else "0",
    }
    if commit is not None:
        env["CODEBUILD_RESOLVED_SOURCE_VERSION"] = commit
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_buildspec_shape() -> None:
    document = buildspec()
    assert document["version"] == 0.2
    assert document["env"]["shell"] == "bash"  # type: ignore[index]
    assert document["env"]["exported-variables"] == ["IMAGE_URI"]  # type: ignore[index]


def test_new_commit_is_built_with_cache_tagged_and_pushed(tmp_path: Path) -> None:
    result, calls = run_buildspec(tmp_path, commit_image_exists=False)
    assert result.returncode == 0, result.stderr
    [build] = [c for c in calls if c.startswith("docker build")]
    tags = re.findall(r"--tag \S+:(\S+)", build)
    assert len(tags) == 2 and tags[1] == f"git-{COMMIT[:12]}"
    match = BUILD_TAG.match(tags[0])
    assert match and tags[0].endswith(COMMIT[:12])
    assert image_policy()["spec"]["filterTags"]["extract"] == "$ts"
    assert image_policy()["spec"]["policy"] == {"numerical": {"order": "asc"}}
    assert len(match["ts"]) == 14 and not BUILD_TAG.match(f"git-{COMMIT[:12]}")
    assert f"--cache-from {REPOSITORY_URI}:20261101000000-0123456789ab" in build
    assert [c for c in calls if c.startswith("docker push")] == [
        f"docker push {REPOSITORY_URI}:{tags[0]}",
        f"docker push {REPOSITORY_URI}:git-{COMMIT[:12]}",
    ]
    assert f"image {REPOSITORY_URI}:{tags[0]}" in result.stdout


def test_a_commit_with_an_image_is_not_built_again(tmp_path: Path) -> None:
    result, calls = run_buildspec(tmp_path, commit_image_exists=True)
    assert result.returncode == 0, result.stderr
    assert not [c for c in calls if c.startswith(("docker build", "docker push"))]
    assert f"image {REPOSITORY_URI}:git-{COMMIT[:12]}" in result.stdout


@pytest.mark.parametrize(
    "commit",
    [None, "", "main", COMMIT[:12], COMMIT.upper(), f"{COMMIT}\nextra"],
    ids=["unset", "empty", "branch name", "abbreviated", "upper case", "trailing line"],
)
def test_a_build_without_a_commit_id_fails_before_anything_is_built(tmp_path: Path, commit: str | None) -> None:
    result, calls = run_buildspec(tmp_path, commit_image_exists=False, commit=commit)
    assert result.returncode != 0
    assert "not a Git commit id: refusing to build an image that cannot name its commit" in result.stderr
    # Not even a login or a look-up: no tag, no push, no build.
    assert calls == []
    assert "image " not in result.stdout


def test_a_sha256_repository_commit_is_accepted(tmp_path: Path) -> None:
    commit = "0123456789abcdef" * 4
    result, calls = run_buildspec(tmp_path, commit_image_exists=False, commit=commit)
    assert result.returncode == 0, result.stderr
    assert f"docker push {REPOSITORY_URI}:git-{commit[:12]}" in calls


def test_missing_repository_fails_the_build(tmp_path: Path) -> None:
    phases = buildspec()["phases"]
    assert isinstance(phases, dict)
    script = "\n".join(phases["pre_build"]["commands"])
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, check=False
    )
    assert result.returncode != 0 and "REPOSITORY_URI is not set" in result.stderr
