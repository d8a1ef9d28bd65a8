"""The CustomResourceDefinitions an environment installs, and custom resources checked against them.

A custom resource is checked as the API server would check it on create with field
validation Strict: its apiVersion must be a served, non-deprecated version of the CRD
(crd_versions.py); defaults are applied (crd_structural.py); then the version's schema
(crd_schema.py, crd_formats.py), the metadata (object_meta.py), list invariants and the
CEL rules (crd_rules.py). Each version's schema is compiled once and kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from render import object_meta
from render.crd_formats import format_checker
from render.crd_rules import has_rules, rule_problems, unchecked
from render.crd_schema import to_json_schema
from render.crd_structural import defaulted, embedded_resources, list_problems
from render.crd_versions import Version, version_problems
from render.errors import RenderError
from render.fast_yaml import LOADER

CRD_KIND = "CustomResourceDefinition"
CRD_API = "apiextensions.k8s.io/v1"
# jsonschema keywords whose failure keeps the API server from evaluating CEL rules
# (strategy.go hasBlockingErr: NotSupported, Required, TooLong, TooMany, TypeInvalid).
BLOCKING = {"enum", "required", "maxLength", "maxItems", "maxProperties", "type"}
SKIPPED_RULES = (
    "(object): some validation rules were not checked because the object was invalid; "
    "correct the existing errors to complete validation"
)


@dataclass(frozen=True)
class _Crd:
    name: str
    group: str
    kind: str
    namespaced: bool
    origin: str
    versions: dict[str, Version]
    _validators: dict[str, jsonschema.protocols.Validator] = field(default_factory=dict, compare=False, repr=False)
    _with_rules: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def validator(self, version: str) -> jsonschema.protocols.Validator:
        if version not in self._validators:
            schema = to_json_schema(self.versions[version].schema)
            self._validators[version] = jsonschema.Draft202012Validator(schema, format_checker=format_checker())
        return self._validators[version]

    def has_rules(self, version: str) -> bool:
        if version not in self._with_rules:
            self._with_rules[version] = has_rules(self.versions[version].schema)
        return self._with_rules[version]


class CrdCatalog:
    def __init__(self, crds: Mapping[tuple[str, str], _Crd]) -> None:
        self._crds = dict(crds)

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any] | None], origin: str) -> CrdCatalog:
        """The CRDs among `documents` (anything else is skipped); `origin` names them in messages."""
        crds: dict[tuple[str, str], _Crd] = {}
        problems: list[str] = []
        for document in documents:
            if not document or document.get("kind") != CRD_KIND:
                continue
            try:
                crd = _parse(document, origin)
            except (KeyError, TypeError, ValueError) as error:
                name = (document.get("metadata") or {}).get("name")
                why = f"missing field {error}" if isinstance(error, KeyError) else str(error)
                problems.append(f"{origin}: {CRD_KIND} {name}: {why}")
                continue
            if (crd.group, crd.kind) in crds:
                problems.append(f"{origin}: {CRD_KIND} {crd.name} is defined twice")
            crds[(crd.group, crd.kind)] = crd
        if problems:
            raise RenderError(problems)
        return cls(crds)

    def merged(self, other: CrdCatalog) -> CrdCatalog:
        """Both catalogs' CRDs; the same CRD from two origins must be the same definition."""
        crds = dict(self._crds)
        for key, crd in other._crds.items():
            mine = crds.setdefault(key, crd)
            if mine != crd and (mine.versions, mine.namespaced) != (crd.versions, crd.namespaced):
                raise RenderError([f"{CRD_KIND} {crd.name} is defined differently by {mine.origin} and {crd.origin}"])
        return CrdCatalog(crds)

    def knows(self, api_version: str, kind: str) -> bool:
        """Whether some CRD defines `kind` in that API group, at whatever version."""
        return (_group(api_version), kind) in self._crds

    def serves(self, api_version: str, kind: str) -> bool:
        crd = self._crds.get((_group(api_version), kind))
        version = crd.versions.get(api_version.rpartition("/")[2]) if crd else None
        return version is not None and version.served

    def is_namespaced(self, api_version: str, kind: str) -> bool | None:
        """The CRD's scope; None when no CRD of the catalog defines the kind."""
        crd = self._crds.get((_group(api_version), kind))
        return crd.namespaced if crd else None

    def validate(self, obj: Mapping[str, Any]) -> list[str]:
        """`field.path: message` for each problem; [] when the API server would accept `obj` without warning."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return [f"apiVersion, kind: strings required, found {api_version!r}, {kind!r}"]
        crd = self._crds.get((_group(api_version), kind))
        if crd is None:
            return [not_served(api_version, kind)]
        wanted = api_version.rpartition("/")[2]
        problems = version_problems(crd.group, kind, crd.versions, wanted, crd.origin)
        version = crd.versions.get(wanted)
        if version is None or not version.served:
            return problems
        return problems + _schema_problems(crd, version, obj)

    def unchecked_rules(self) -> list[str]:
        """Each CEL rule of a served version that validation cannot evaluate, and why."""
        return [
            f"{crd.kind} {crd.group}/{name} ({crd.origin}): {line}"
            for crd in self._crds.values()
            for name, version in crd.versions.items()
            if version.served
            for line in unchecked(version.schema)
        ]


def not_served(api_version: str, kind: str) -> str:
    return f"apiVersion: {api_version} {kind} is not served by any controller installed in this environment"


def flux_crds(flux_dir: Path, components: Iterable[str]) -> CrdCatalog:
    """The CRDs of the Flux components a FluxInstance installs, from flux-operator's manifests for one Flux version."""
    release = flux_dir.name.removeprefix("flux-")
    catalog = CrdCatalog({})
    for component in components:
        path = flux_dir / f"{component}.yaml"
        if not path.is_file():
            raise RenderError([f"{path}: no such file: {component} is not a component of Flux {release}"])
        catalog = catalog.merged(CrdCatalog.from_documents(_documents(path), f"Flux {release} {component}"))
    return catalog


def operator_crds(crd_dir: Path) -> CrdCatalog:
    """flux-operator's own CRDs (FluxInstance, ResourceSet, …), one file each as its release ships them."""
    files = sorted(crd_dir.glob("*.yaml"))
    if not files:
        raise RenderError([f"{crd_dir}: no CustomResourceDefinition files (*.yaml)"])
    named = re.fullmatch(r"(.+?)-(v\d[\w.]*?)(-crds)?", crd_dir.name)
    origin = f"{named[1]} {named[2]}" if named else crd_dir.name
    return CrdCatalog.from_documents([doc for path in files for doc in _documents(path)], origin)


def _schema_problems(crd: _Crd, version: Version, obj: Mapping[str, Any]) -> list[str]:
    stored = defaulted(obj, version.schema)
    errors = list(crd.validator(version.name).iter_errors(stored))
    problems = sorted({_describe(jsonschema.exceptions.best_match([error])) for error in errors})
    problems += object_meta.problems(stored.get("metadata"), "metadata", root=True)
    for path, embedded in embedded_resources(stored, version.schema):
        problems += object_meta.problems(embedded.get("metadata"), f"{path}.metadata", root=False)
    problems += list_problems(stored, version.schema, "")
    if not crd.has_rules(version.name):
        return problems
    if any(error.validator in BLOCKING for error in errors):
        return [*problems, SKIPPED_RULES]
    return problems + rule_problems(stored, version.schema)


def _describe(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path) or "(object)"
    return f"{path}: {error.message}"


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _parse(document: Mapping[str, Any], origin: str) -> _Crd:
    if document.get("apiVersion") != CRD_API:
        raise ValueError(f"apiVersion {document.get('apiVersion')} is not {CRD_API}")
    spec = document["spec"]
    if spec["scope"] not in ("Namespaced", "Cluster"):
        raise ValueError(f"spec.scope {spec['scope']!r} is neither Namespaced nor Cluster")
    versions = {
        v["name"]: Version(
            name=v["name"],
            served=bool(v["served"]),
            storage=bool(v["storage"]),
            deprecated=bool(v.get("deprecated", False)),
            warning=v.get("deprecationWarning"),
            schema=v["schema"]["openAPIV3Schema"],
        )
        for v in spec["versions"]
    }
    return _Crd(
        name=document["metadata"]["name"],
        group=spec["group"],
        kind=spec["names"]["kind"],
        namespaced=spec["scope"] == "Namespaced",
        origin=origin,
        versions=versions,
    )


def _documents(path: Path) -> list[Mapping[str, Any] | None]:
    try:
        return list(yaml.load_all(path.read_text(), Loader=LOADER))
    except yaml.YAMLError as error:
        raise RenderError([f"{path}: not YAML: {' '.join(str(error).split())}"]) from None
