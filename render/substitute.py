"""Flux's post-build variable substitution on one object (kustomize-controller v1.8.5,
fluxcd/pkg/kustomize v1.27.2 `SubstituteVariables` + `varSubstitution`).

Per object, in Flux's order: an object labelled *or* annotated
`kustomize.toolkit.fluxcd.io/substitute: disabled` is left alone; without any variable
nothing happens (no validation, no YAML round trip, so `${x}` stays even when strict);
otherwise every variable name must match Flux's pattern, envsubst runs over the object's
text as `kustomize build` prints it (sigs.k8s.io/yaml, keys sorted, quotes only where
YAML needs them, so `"${port}"` is printed as `${port}` and 8080 becomes a number), the
result is read back as go-yaml v2 reads it, and kustomize keeps it in a JSON map, where
every number passes through float64.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from render.envsubst import EnvsubstError, evaluate
from render.flux_yaml import FluxYamlError, load_document

DISABLE_MARKER = "kustomize.toolkit.fluxcd.io/substitute"
DISABLED = "disabled"
NAME_PATTERN = "^[_[:alpha:]][_[:alpha:][:digit:]]*$"  # Flux's varsubRegex, quoted in its error
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")  # RE2's [:alpha:] and [:digit:] are ASCII


class SubstitutionError(Exception):
    """One line in Flux's words, as after `post build failed for '<Kind.version.group>/<name>': `."""


def invalid_variable_names(values: Mapping[str, str]) -> list[str]:
    """One message per name Flux rejects (it fails the Kustomization on the first it meets)."""
    return [
        f"envsubst error: '{name}' var name is invalid, must match '{NAME_PATTERN}'"
        for name in sorted(values)
        if not _NAME.fullmatch(name)
    ]


def substitution_disabled(obj: Mapping[str, Any]) -> bool:
    """Flux leaves an object alone when a label or an annotation says exactly `disabled`."""
    metadata = obj.get("metadata") or {}
    return any((metadata.get(field) or {}).get(DISABLE_MARKER) == DISABLED for field in ("labels", "annotations"))


def substitute_document(text: str, values: Mapping[str, str], *, strict: bool) -> dict[str, Any]:
    """The object Flux applies for `text` (one object as `kustomize build` printed it).

    Complete on its own: a disabled object or an empty `values` gives the object as built;
    a bad variable name raises like Flux. Values lose their newlines (Flux's LoadVariables).
    `strict` is the StrictPostBuildSubstitutions feature gate.
    """
    try:
        built = load_document(text)
    except FluxYamlError as error:  # kustomize printed it, so only a caller's mistake gets here
        raise SubstitutionError(f"the object's text is not what kustomize prints: {error}") from None
    if not values or substitution_disabled(built):
        return built
    if invalid := invalid_variable_names(values):
        raise SubstitutionError(invalid[0])
    try:
        output = evaluate(text, {name: value.replace("\n", "") for name, value in values.items()}, strict=strict)
    except EnvsubstError as error:
        if error.panicked:  # controller-runtime recovers the reconciler's panic
            raise SubstitutionError(f"panic: {error} [recovered]") from None
        raise SubstitutionError(f"envsubst error: variable substitution failed: {error}") from None
    try:
        obj = load_document(output)
    except FluxYamlError as error:
        prefix = "envsubst error: YAMLToJSON" if error.stage == "YAMLToJSON" else "UnmarshalJSON"
        raise SubstitutionError(f"{prefix}: {error}") from None
    return {key: _through_float64(item) for key, item in obj.items()}


def _through_float64(value: Any) -> Any:
    """kustomize's `UnmarshalJSON` decodes into map[string]interface{}: every integer becomes
    a float64, so past 2^53 it loses precision, and from 2^63 on it stays a float."""
    if isinstance(value, dict):
        return {key: _through_float64(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_through_float64(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        number = float(value)
        return int(number) if -(2**63) <= number < 2**63 else number
    return value


def flux_failure_prefix(obj: Mapping[str, Any]) -> str:
    """`post build failed for '<Kind>.<version>.<group>/<name>'`, kustomize-controller's prefix."""
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    name = (obj.get("metadata") or {}).get("name", "")
    return f"post build failed for '{obj.get('kind') or '[noKind]'}.{version or '[noVer]'}.{group or '[noGrp]'}/{name}'"


def substitute(obj: dict[str, Any], values: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Compatibility only, for callers not yet moved to `substitute_document` (remove then):
    the object substituted without strictness, and the plain `${x}` names that had no value."""
    import yaml  # the old callers hold objects, not kustomize's text; this approximates that text

    from render.envsubst import Expansion, parse

    if substitution_disabled(obj):
        return obj, []
    text = yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)
    missing: list[str] = []

    def walk(nodes: tuple[Any, ...]) -> None:
        for node in nodes:
            if isinstance(node, Expansion):
                walk(node.args)
                if node.op == "" and node.param not in values and node.param not in missing:
                    missing.append(node.param)

    walk(parse(text))
    return substitute_document(text, values, strict=False), missing
