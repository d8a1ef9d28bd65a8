"""Turn `environments/*.yaml` into validated `Environment` models, or into one error list.

Every problem in every file is collected before anything is reported, and each is one
line `<file>: <field>: <what is wrong>`, so a user fixes them all in one pass: each file
on its own (model.py, checks.py), the files against each other (fleet.py) and against
the Flux folders of their clusters (flux_tree.py).
"""

from __future__ import annotations

import difflib
import inspect
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from stacks.config.checks import cross_field_problems
from stacks.config.fleet import fleet_problems, stray_files
from stacks.config.flux_tree import flux_tree_problems
from stacks.config.model import (
    ACCOUNT_ID,
    DNS_LABEL,
    DOMAIN,
    IAM_PRINCIPAL_ARN,
    KUBERNETES_VERSION,
    PG_ALTERNATING_ROLE,
    PG_IDENTIFIER,
    REGION,
    Environment,
)
from stacks.config.yaml_source import YamlProblem, read_mapping
from stacks.display import shown

# Readable wording for the regular expressions in model.py.
PATTERN_HINTS = {
    DNS_LABEL: "must be a DNS label: lowercase letters, digits and '-', starting with a letter, at most 32 characters",
    DOMAIN: "is not a valid lowercase domain name (e.g. dev.example.com)",
    REGION: "is not an AWS region name (e.g. eu-west-1)",
    ACCOUNT_ID: "must be a 12-digit AWS account id, quoted as a string",
    IAM_PRINCIPAL_ARN: "must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)",
    KUBERNETES_VERSION: 'must be a Kubernetes version EKS supports, 1.33 or newer, quoted (e.g. "1.35")',
    PG_IDENTIFIER: "must be a PostgreSQL identifier: lowercase letters, digits and '_', starting with a letter",
    PG_ALTERNATING_ROLE: (
        "must be a PostgreSQL identifier of at most 57 characters (its alternate adds '_clone'): "
        "lowercase letters, digits and '_', starting with a letter"
    ),
}


class ConfigError(Exception):
    """Every problem found, one line each, ready to print."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


def load_environments(directory: Path, names: Iterable[str] | None = None) -> list[Environment]:
    """Load the named environments (all of them when `names` is None), each checked on its
    own, against every other environment file, and against the Flux tree beside it.

    `directory` is the repository's `environments/`; `clusters/` beside it holds the Flux
    folders (flux_tree.py). Files that are not selected are compared with but not
    reported on, so one broken environment does not stop work on another.
    """
    available = {path.stem: path for path in sorted(directory.glob("*.yaml"))}
    wanted = list(available) if names is None else list(names)
    lines = stray_files(directory)
    if not available:
        lines.append(f"{shown(directory)}: no environment files (*.yaml) found")
    for name, count in Counter(wanted).items():
        if count > 1:
            lines.append(f"ENVIRONMENTS: {name} is listed {count} times")
    for name in dict.fromkeys(wanted):
        if name not in available:
            known = ", ".join(available) or "none"
            lines.append(f"ENVIRONMENTS: no file {shown(directory / (name + '.yaml'))} (known: {known})")
    loaded: dict[Path, Environment] = {}
    for name, path in available.items():
        try:
            loaded[path] = load_environment(path)
        except ConfigError as error:
            if name in wanted:
                lines.extend(error.lines)
    selected = {path: env for path, env in loaded.items() if env.name in wanted}
    lines += fleet_problems(loaded, selected=set(wanted))
    lines += flux_tree_problems(directory.parent, selected, available)
    if lines:
        raise ConfigError(lines)
    return [selected[available[name]] for name in dict.fromkeys(wanted)]


def load_environment(path: Path) -> Environment:
    where = shown(path)
    try:
        data = read_mapping(path)
    except YamlProblem as problem:
        raise ConfigError([f"{where}: {problem}"]) from None
    if "name" in data:
        raise ConfigError([f"{where}: name: comes from the file name ({path.stem}); remove this key"])
    data = {"name": path.stem, **data}
    try:
        env = Environment.model_validate(data)
    except ValidationError as error:
        lines = [_describe(detail) for detail in error.errors()]
        sections = _valid_sections(data, {detail["loc"][0] for detail in error.errors() if detail["loc"]})
        env = None
    else:
        lines, sections = [], {name: getattr(env, name) for name in Environment.model_fields}
    lines += [f"{field}: {message}" for field, message in cross_field_problems(sections)]
    if lines or env is None:
        raise ConfigError([f"{where}: {line}" for line in lines])
    return env


def selected_names(variable: str | None = None) -> list[str] | None:
    """The `ENVIRONMENTS` variable (comma separated) narrows which files are loaded."""
    raw = os.environ.get("ENVIRONMENTS", "") if variable is None else variable
    names = [name.strip() for name in raw.split(",") if name.strip()]
    return names or None


def _valid_sections(data: dict[str, Any], broken: set[int | str]) -> dict[str, Any]:
    """The top-level fields that validate on their own, so cross-field rules can still run."""
    sections: dict[str, Any] = {}
    for name, field in Environment.model_fields.items():
        if name in broken:
            continue
        if name in data:
            annotation: Any = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
            sections[name] = TypeAdapter(annotation).validate_python(data[name])
        elif not field.is_required():
            sections[name] = field.get_default(call_default_factory=True)
    return sections


def _describe(detail: ErrorDetails) -> str:
    loc = detail["loc"]
    field = _field_path(loc)
    kind = detail["type"]
    if kind == "extra_forbidden":
        allowed = _sibling_fields(loc)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {guess[0]!r}?" if guess else f"allowed here: {', '.join(allowed)}"
        return f"{field}: unknown key ({hint})"
    if kind == "missing":
        return f"{field}: required key is missing"
    if kind == "string_pattern_mismatch":
        pattern = (detail.get("ctx") or {}).get("pattern", "")
        hint = PATTERN_HINTS.get(pattern, f"does not match {pattern}")
        return f"{field}: {detail['input']!r} {hint}"
    if kind == "string_type":
        return f"{field}: expected text, got {detail['input']!r} (put it in quotes)"
    message = detail["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith(("function-after", "list[", "constrained")):
            continue
        else:
            path += f".{part}" if path else part
    return path


def _sibling_fields(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model that holds the unknown key `loc[-1]`."""
    model: type[BaseModel] | None = Environment
    for part in loc[:-1]:
        if isinstance(part, int) or model is None or part not in model.model_fields:
            continue
        model = _model_in(model.model_fields[part].annotation)
    return sorted(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None
