"""Every version pin of the repository, read from the files themselves, and the area
(Renovate group) each belongs in: the inventory renovate.json is tested against.

Each reader below knows one kind of pin and reads it without renovate.json's patterns (the
Python AST, YAML, TOML, the Makefile's install line), so a pin written in a way the
config does not expect is still in the inventory and the test names it.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

# The areas: renovate.json's groupName for each; DISABLED where Renovate must not update.
PYTHON = "Python packages"
CDKTF = "CDKTF"
NODE = "Node.js for jsii"
ACTIONS = "GitHub Actions"
CHARTS = "platform Helm charts"
FLUX = "Flux"
BASE_IMAGE = "app base image"
TERRAFORM = "Terraform CLI"
POLICY_TOOLS = "policy tools"
DISABLED = "(disabled)"

# Version inputs of actions Renovate's github-actions manager reads itself (its
# known-actions table): action → (input, datasource, package, area).
KNOWN_ACTION_INPUTS = {
    "actions/setup-python": ("python-version", "github-releases", "actions/python-versions", DISABLED),
    "actions/setup-node": ("node-version", "github-releases", "actions/node-versions", NODE),
    "hashicorp/setup-terraform": ("terraform_version", "github-releases", "hashicorp/terraform", TERRAFORM),
}
# Version inputs of actions Renovate does not know, each found by a custom manager.
CUSTOM_ACTION_INPUTS = {"fluxcd/flux2/action": ("version", "github-releases", "fluxcd/flux2", FLUX)}
NPX_PIN = re.compile(r"(?:@[\w.-]+/)?[\w.-]+@\d[\w.+-]*")
PIP_PIN = re.compile(r"\b([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]\s]*\])?==([^\s\"']+)")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)(?:\s+#\s*(\S+))?", re.MULTILINE)
FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+?)(?::([^\s@/]+))?(?:@\S+)?(?:\s+AS\s+(\S+))?\s*$", re.I | re.M)


@dataclass(frozen=True, order=True)
class Pin:
    """One pin as Renovate should find it: the file, what it looks up where, the value."""

    file: str
    datasource: str
    package: str  # Renovate's packageName (Python names normalized, PEP 503)
    value: str  # Renovate's currentValue
    registry: str = ""  # a Helm repository's URL; empty for other datasources
    area: str = ""
    custom: bool = False  # found by a custom manager of renovate.json (not a built-in one)

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.file, self.datasource, self.package, self.value, self.registry)

    def __str__(self) -> str:
        where = f" from {self.registry}" if self.registry else ""
        return f"{self.file}: {self.package} {self.value} ({self.datasource}{where})"


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def registry_url(url: str) -> str:
    """As Renovate stores a registryUrl (WHATWG URL serialization: a bare host gets `/`)."""
    return url if urlsplit(url).path else f"{url}/"


def repository_files(root: Path) -> list[str]:
    """What Renovate sees: tracked files and new ones not ignored, without node_modules."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return sorted({f for f in listed if f and (root / f).is_file() and "node_modules/" not in f})


def inventory(root: Path) -> list[Pin]:
    files = repository_files(root)
    return sorted(
        [
            *chart_pins(root, files),
            *flux_distribution_pins(root, files),
            *workflow_pins(root, files),
            *makefile_pins(root),
            *npx_pins(root, [f for f in files if re.fullmatch(r"scripts/[^/]+\.sh|README\.md|docs/.+\.md", f)]),
            *dockerfile_pins(root, files),
            *package_json_pins(root, files),
            *python_pins(root, files),
        ]
    )


def _python_modules(root: Path, files: list[str]) -> Iterator[tuple[str, ast.Module, dict[str, str]]]:
    """Each module under stacks/ with its module-level string constants."""
    for file in files:
        if file.startswith("stacks/") and file.endswith(".py"):
            module = ast.parse((root / file).read_text(), file)
            constants = {
                target.id: node.value.value
                for node in module.body
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                for target in node.targets
                if isinstance(target, ast.Name) and isinstance(node.value.value, str)
            }
            yield file, module, constants


def _string(node: ast.expr | None, constants: dict[str, str]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    return f"<{ast.unparse(node) if node else 'missing'}>"


def chart_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    """Every Chart(repository, name, version) call under stacks/, however it is written."""
    for file, module, constants in _python_modules(root, files):
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Chart":
                args = dict(zip(("repository", "name", "version"), node.args, strict=False))
                args.update({k.arg: k.value for k in node.keywords if k.arg})
                repository, name, version = (_string(args.get(k), constants) for k in ("repository", "name", "version"))
                area = FLUX if "fluxcd" in repository else CHARTS
                if repository.startswith("oci://"):
                    package = f"{repository.removeprefix('oci://').rstrip('/')}/{name}"
                    yield Pin(file, "docker", package, version, area=area, custom=True)
                else:
                    yield Pin(file, "helm", name, version, registry_url(repository), area=area, custom=True)


def flux_distribution_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    """The version of every `"distribution": {"version": …}` (a FluxInstance's values)."""
    for file, module, constants in _python_modules(root, files):
        for node in ast.walk(module):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "distribution" and isinstance(value, ast.Dict):
                        fields = {
                            k.value: v
                            for k, v in zip(value.keys, value.values, strict=True)
                            if isinstance(k, ast.Constant)
                        }
                        version = _string(fields.get("version"), constants)
                        yield Pin(file, "github-releases", "fluxcd/flux2", version, area=FLUX, custom=True)


def workflow_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    for file in files:
        if not re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", file):
            continue
        text = (root / file).read_text()
        for action, ref, tag in USES.findall(text):
            if not action.startswith(("./", "docker://")):
                area = FLUX if action.startswith("fluxcd/") else ACTIONS
                yield Pin(file, "github-tags", "/".join(action.split("/")[:2]), tag or ref, area=area)
        workflow: dict[str, Any] = yaml.safe_load(text)
        for job in (workflow.get("jobs") or {}).values():
            runner = job.get("runs-on")
            if isinstance(runner, str) and (hosted := re.fullmatch(r"(ubuntu|macos|windows)-([\d.]+)", runner)):
                yield Pin(file, "github-runners", hosted[1], hosted[2], area=ACTIONS)
            for step in job.get("steps") or []:
                yield from _step_pins(file, step)


def _step_pins(file: str, step: dict[str, Any]) -> Iterator[Pin]:
    action = str(step.get("uses", "")).split("@")[0]
    for name, value in (step.get("with") or {}).items():
        if name == "version" or name.endswith(("-version", "_version")):
            known = KNOWN_ACTION_INPUTS.get(action) or CUSTOM_ACTION_INPUTS.get(action)
            if known and known[0] == name:
                yield Pin(file, known[1], known[2], str(value), area=known[3], custom=action in CUSTOM_ACTION_INPUTS)
            else:
                yield Pin(file, "?", f"{action} input {name}", str(value), custom=True)
    for line in str(step.get("run", "")).splitlines():
        if re.search(r"\bpip3? install\b", line):
            for name, version in PIP_PIN.findall(line):
                area = CDKTF if name.startswith("cdktf") else PYTHON
                yield Pin(file, "pypi", normalized(name), version, area=area, custom=True)
        if re.search(r"\bnpx\b", line):
            yield from _npx(file, line)


def _npx(file: str, line: str) -> Iterator[Pin]:
    for pinned in NPX_PIN.findall(line.split("npx", 1)[1]):
        name, _, version = pinned.rpartition("@")
        yield Pin(file, "npm", name, version, area=CDKTF if name.startswith("cdktf") else "", custom=True)


def npx_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    for file in files:
        for line in (root / file).read_text().splitlines():
            if re.search(r"\bnpx\b", line):
                yield from _npx(file, line)


def makefile_pins(root: Path) -> Iterator[Pin]:
    """Each `<TOOL>_VERSION :=` variable, with the package its `pip install … pkg==$(VAR)` names
    (uv, which installs the locks: it moves with the Python packages)."""
    text = (root / "Makefile").read_text()
    packages = {var: name for name, var in re.findall(r"([A-Za-z0-9][\w.-]*)==\$\((\w+)\)", text)}
    for var, value in re.findall(r"^(\w+_VERSION)\s*:?=\s*(\S+)", text, re.MULTILINE):
        package = normalized(packages[var]) if var in packages else f"<no `pip install …==$({var})`>"
        yield Pin("Makefile", "pypi", package, value, area=PYTHON, custom=True)


def dockerfile_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    for file in files:
        if re.search(r"(^|/)Dockerfile[^/]*$", file):
            stages: set[str] = set()
            for image, tag, stage in FROM.findall((root / file).read_text()):
                if image not in stages and image != "scratch":
                    yield Pin(file, "docker", image, tag, area=BASE_IMAGE)
                stages.add(stage)


def package_json_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    for file in files:
        if file.endswith("package.json") and not file.startswith("tests/"):
            document = json.loads((root / file).read_text())
            area = POLICY_TOOLS if file.startswith("policy/") else NODE
            for kind in ("dependencies", "devDependencies", "optionalDependencies"):
                for name, version in (document.get(kind) or {}).items():
                    yield Pin(file, "npm", name, version, area=area)


def python_pins(root: Path, files: list[str]) -> Iterator[Pin]:
    """Each pyproject.toml's dependencies, extras and dependency groups (versioned ones; the
    scanners' project under policy/ is a policy tool) and requirements files."""
    requirements: list[tuple[str, str]] = []
    for file in files:
        if file.endswith("pyproject.toml") and not file.startswith("tests/"):
            document = tomllib.loads((root / file).read_text())
            project = document.get("project", {})
            groups = [
                *project.get("optional-dependencies", {}).values(),
                *document.get("dependency-groups", {}).values(),
            ]
            listed = [*project.get("dependencies", []), *(r for g in groups for r in g if isinstance(r, str))]
            requirements += [(file, r) for r in listed]
        elif re.search(r"(^|/)[\w-]*requirements([-._]\w+)?\.(txt|pip)$", file):
            lines = (line.split("#")[0].strip() for line in (root / file).read_text().splitlines())
            requirements += [(file, line) for line in lines if line]
    for file, requirement in requirements:
        parsed = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*([<>=!~].*)?", requirement.strip())
        if parsed and parsed[2]:
            name = normalized(parsed[1])
            area = POLICY_TOOLS if file.startswith("policy/") else CDKTF if name.startswith("cdktf") else PYTHON
            yield Pin(file, "pypi", name, parsed[2].replace(" ", ""), area=area)
