"""Adding an environment is one command plus one file, on a copy of the repository.

`make new-env NAME=staging FROM=dev`, then only environments/staging.yaml edited as the
command's output asks (network, domain, state bucket and key; dev's account kept), and
the main job synthesizes, renders and checks the new environment; its stacks need no
new scanner suppression. Nothing else in the repository is edited. (In a fork that has a
staging already, the new environment is called staging2, and so on.)
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stacks.config import load_environments
from tests.conftest import ENVIRONMENT_NAMES, ROOT
from tests.main_job import copy_project, run_main_job
from tests.policy.scanners import run_checkov, suppressions, unexplained

FOLDERS = ("stacks", "rotation", "render", "system", "clusters", "charts", "environments", ".github", "scripts")
FILES = ("Makefile", "pyproject.toml", "policy/suppressions.yaml")
NAME = next(name for name in ("staging", *(f"staging{n}" for n in range(2, 99))) if name not in ENVIRONMENT_NAMES)
NEW_FILE = f"environments/{NAME}.yaml"


def user_edits() -> dict[str, str]:
    """What a user changes in the copy of dev, as the scaffold's output asks (dev's account is kept)."""
    environments = load_environments(ROOT / "environments")
    dev = next(env for env in environments if env.name == "dev")
    free = next(
        cidr
        for cidr in (ipaddress.IPv4Network(f"10.{n}.0.0/16") for n in range(30, 256))
        if not any(cidr.overlaps(env.network.cidr) for env in environments)
    )
    assert dev.state.kms_key_arn
    return {
        f"cidr: {dev.network.cidr}": f"cidr: {free}",
        f"domain: {dev.domain}": f"domain: {NAME}.{dev.domain}",
        f"bucket: {dev.state.bucket}\n": f"bucket: {dev.state.bucket}-{NAME}\n",
        dev.state.kms_key_arn: dev.state.kms_key_arn.rsplit("/", 1)[0] + "/5caff01d-0000-4000-8000-000000000000",
        "delivery:\n": "delivery:\n  github_oidc_provider: existing\n",
    }


GENERATED = ("cdktf.out/", "rendered/", ".cache/")


@dataclass(frozen=True)
class Added:
    project: Path
    scaffolded: subprocess.CompletedProcess[str]
    main_job: subprocess.CompletedProcess[str]
    before: dict[str, bytes]


def snapshot(project: Path) -> dict[str, bytes]:
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in project.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def new_env(project: Path, name: str, source: str) -> subprocess.CompletedProcess[str]:
    """The Makefile's target as a user runs it, with this test run's virtualenv taken as installed."""
    venv = Path(sys.prefix)
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            f"{venv}/.installed",
            f"VENV={venv}",
            "new-env",
            f"NAME={name}",
            f"FROM={source}",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def edit(path: Path, edits: dict[str, str]) -> None:
    text = path.read_text()
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)


def copy(tmp_path: Path) -> Path:
    project = copy_project(tmp_path, *FOLDERS)
    for file in FILES:
        (project / file).parent.mkdir(parents=True, exist_ok=True)
        (project / file).write_bytes((ROOT / file).read_bytes())
    return project


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory, clusters: object) -> Added:
    """After the session's render (`clusters`): most of the new environment's chart values
    are dev's, found in the render memo the copy starts from (tests/working_tree.py)."""
    project = copy(tmp_path_factory.mktemp("new-environment"))
    before = snapshot(project)
    scaffolded = new_env(project, NAME, "dev")
    edit(project / NEW_FILE, user_edits())
    return Added(project, scaffolded, run_main_job(project, ENVIRONMENTS=NAME), before)


@pytest.mark.slow
def test_the_scaffold_lists_the_edits_that_validation_asks_for(added: Added) -> None:
    assert added.scaffolded.returncode == 0, added.scaffolded.stderr
    lines = added.scaffolded.stdout.splitlines()
    asked = [line.split(": ")[1] for line in lines if line.startswith(f"  {NEW_FILE}: ")]
    assert asked == ["network.cidr", "domain", "state.bucket", "state.kms_key_arn", "delivery.github_oidc_provider"]


@pytest.mark.slow
def test_the_main_job_synthesizes_renders_and_checks_the_new_environment(added: Added) -> None:
    assert added.main_job.returncode == 0, added.main_job.stderr
    out = added.main_job.stdout
    assert all(f"  {NAME}-{part} " in out for part in ("bootstrap", "network", "cluster", "data", "platform"))
    assert f"Rendered 1 cluster:\n  {NAME} " in out
    assert out.rstrip().endswith("0 violated")
    assert (added.project / f"rendered/{NAME}/guestbook/deployment-guestbook.yaml").is_file()


@pytest.mark.slow
def test_nothing_but_the_scaffolded_files_and_the_yaml_changed(added: Added) -> None:
    after = snapshot(added.project)
    assert [name for name, content in added.before.items() if after.get(name) != content] == []
    new = sorted(name for name in set(after) - set(added.before) if not name.startswith(GENERATED))
    dev = [name for name in added.before if name.startswith(("clusters/dev/", "clusters/apps/dev/"))]
    copies = [name.replace("/dev/", f"/{NAME}/") for name in dev]
    assert new == sorted([*copies, NEW_FILE])


@pytest.mark.slow
@pytest.mark.scanner
def test_the_new_stacks_need_no_suppression_of_their_own(added: Added) -> None:
    """Suppressions are keyed by stack part and by what the environment chose, never by its name."""
    assert added.main_job.returncode == 0, added.main_job.stderr
    environments = {env.name: env for env in load_environments(added.project / "environments")}
    findings = run_checkov(added.project / "cdktf.out/stacks", "terraform_json")
    assert {f.environment for f in findings} == {NAME}
    accepted = suppressions("terraform_json", added.project / "policy/suppressions.yaml")
    open_findings, _ = unexplained(findings, accepted, environments)
    assert open_findings == []


def test_turning_image_automation_off_without_the_overlay_stops_before_synth(tmp_path: Path) -> None:
    """The copied overlay keeps dev's image automation objects until the user drops them."""
    project = copy(tmp_path)
    assert new_env(project, NAME, "dev").returncode == 0
    edit(project / NEW_FILE, {**user_edits(), "    image_automation: true": "    image_automation: false"})
    result = run_main_job(project, ENVIRONMENTS=NAME)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"clusters/apps/{NAME}/image-automation.yaml: ImageRepository, ImagePolicy, ImageUpdateAutomation: image "
        f"automation is off in {NEW_FILE} (platform.flux.image_automation), so no controller serves "
        "them; remove this file and its entry in kustomization.yaml, or turn image automation on",
        "1 problem(s) found; nothing was synthesized.",
    ]
    assert not (project / "cdktf.out").exists()
