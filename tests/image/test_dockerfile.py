"""The app's Dockerfile: where its images come from, the CA bundle it carries, and what
the final image runs as."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
import yaml

from tests.conftest import ROOT
from tests.tools import scanner

DOCKERBUILD = ROOT / "dockerbuild"
DOCKERFILE = DOCKERBUILD / "Dockerfile"
CHART_VALUES = ROOT / "charts" / "app" / "values.yaml"
# AWS's bundle for all commercial Regions
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html).
RDS_GLOBAL_BUNDLE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


@dataclass(frozen=True)
class Stage:
    image: str
    name: str
    body: str


def stages(dockerfile: str) -> list[Stage]:
    found = []
    for block in re.split(r"^(?=FROM )", dockerfile, flags=re.MULTILINE)[1:]:
        match = re.match(r"FROM (\S+)(?: AS (\S+))?", block)
        assert match, block
        found.append(Stage(match[1], match[2] or "", block))
    return found


def docker_hub_pulls(dockerfile: str) -> list[str]:
    """Images the build pulls from Docker Hub: a `# syntax=` frontend, and base images
    whose name has no registry host (docker.io by default)."""
    directive = re.match(r"#\s*syntax\s*=\s*(\S+)", dockerfile)
    earlier_stages: set[str] = set()
    images = [directive[1]] if directive else []
    for stage in stages(dockerfile):
        if stage.image not in earlier_stages:
            images.append(stage.image)
        earlier_stages.add(stage.name)
    return [image for image in images if _registry(image) == "docker.io"]


def _registry(image: str) -> str:
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def test_no_image_is_pulled_from_docker_hub() -> None:
    """CodeBuild's shared addresses exhaust Docker Hub's anonymous pull limit."""
    assert docker_hub_pulls(DOCKERFILE.read_text()) == []


def test_docker_hub_pulls_are_found() -> None:
    planted = "# syntax=docker/dockerfile:1\nFROM python:3.12.12-slim-bookworm AS deps\nFROM deps\n"
    assert docker_hub_pulls(planted) == ["docker/dockerfile:1", "python:3.12.12-slim-bookworm"]
    assert docker_hub_pulls("FROM docker.io/library/python:3.12\n") == ["docker.io/library/python:3.12"]


def test_every_stage_builds_on_one_pinned_official_python_image() -> None:
    """Dependencies are built against the runtime's own Python, from the official image's ECR Public mirror."""
    images = {stage.image for stage in stages(DOCKERFILE.read_text())}
    [image] = images
    assert re.fullmatch(r"public\.ecr\.aws/docker/library/python:\d+\.\d+\.\d+-slim-\w+", image), image


def test_image_carries_the_rds_ca_bundle_where_the_chart_points() -> None:
    dockerfile = DOCKERFILE.read_text()
    [fetch] = [s for s in stages(dockerfile) if "fetch_ca_bundle.py" in s.body]
    assert re.search(rf"^ARG RDS_CA_BUNDLE_URL={re.escape(RDS_GLOBAL_BUNDLE)}$", fetch.body, re.MULTILINE)
    run = re.search(r'^RUN python \S*fetch_ca_bundle\.py "\$RDS_CA_BUNDLE_URL" (\S+)$', fetch.body, re.MULTILINE)
    assert run, fetch.body
    final = stages(dockerfile)[-1]
    copy = re.search(rf"^COPY --from={re.escape(fetch.name)} {re.escape(run[1])} (\S+)$", final.body, re.MULTILINE)
    assert copy, final.body
    values = yaml.safe_load(CHART_VALUES.read_text())
    assert copy[1] == values["database"]["sslRootCert"]
    # The build context admits the script (everything not listed is left out).
    assert "!fetch_ca_bundle.py" in (DOCKERBUILD / ".dockerignore").read_text().splitlines()


def test_image_runs_as_non_root_without_build_tools() -> None:
    final_stage = stages(DOCKERFILE.read_text())[-1].body
    assert re.search(r"^USER 10001:10001$", final_stage, re.MULTILINE)
    assert "pip install" not in final_stage and "apt-get" not in final_stage
    assert "fetch_ca_bundle" not in final_stage


@pytest.mark.scanner
def test_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run([scanner("hadolint"), DOCKERFILE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout
