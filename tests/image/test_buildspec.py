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


def run_buildspec(tmp_path: Path, *, commit_image_exists: bool) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """All phases' commands in one bash, as CodeBuild's version 0.2 runs them."""
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
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={
            "PATH": f"{stubs}:{os.environ['PATH']}",
            "CALLS": str(calls),
            "REPOSITORY_URI": REPOSITORY_URI,
            "AWS_REGION": "eu-west-1",
            "CODEBUILD_RESOLVED_SOURCE_VERSION": COMMIT,
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "COMMIT_IMAGE_EXISTS": "1" if commit_image_exists else "0",
        },
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


def test_missing_repository_fails_the_build(tmp_path: Path) -> None:
    phases = buildspec()["phases"]
    assert isinstance(phases, dict)
    script = "\n".join(phases["pre_build"]["commands"])
    result = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, check=False
    )
    assert result.returncode != 0 and "REPOSITORY_URI is not set" in result.stderr


@pytest.mark.scanner
def test_dockerfile_is_hadolint_clean() -> None:
    hadolint = Path(os.environ.get("CHECKOV", "checkov")).with_name("hadolint")
    if not hadolint.exists():
        pytest.fail("hadolint is not installed: run the tests through `make test`")
    result = subprocess.run(
        [str(hadolint), str(ROOT / "dockerbuild" / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


def test_image_runs_as_non_root_without_build_tools() -> None:
    dockerfile = (ROOT / "dockerbuild" / "Dockerfile").read_text()
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER 10001:10001$", final_stage, re.MULTILINE)
    assert "pip install" not in final_stage and "apt-get" not in final_stage
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE) == ["python:3.12.12-slim-bookworm"] * 2
