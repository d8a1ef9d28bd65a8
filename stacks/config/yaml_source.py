"""Read an environment file as plain data, with the file's line numbers in every error.

PyYAML's safe loader silently keeps the last of two equal keys; a duplicated key is
almost always a mistake, so this loader refuses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlProblem(ValueError):
    """A file that is not a readable YAML mapping."""


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlProblem(f"cannot be read: {error}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise YamlProblem(f"{where}not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise YamlProblem(f"not valid YAML: {error}") from None
    if data is None:
        raise YamlProblem("the file is empty; start from environments/dev.yaml")
    if not isinstance(data, dict):
        raise YamlProblem(f"the top level must be a mapping of keys, not a {type(data).__name__}")
    return data
