"""Flux's envsubst language (fluxcd/pkg/envsubst v1.5.0, used by kustomize-controller v1.8): parse and evaluate.

Only `${…}` expands (a bare `$VAR` is text). `$$` is one `$` in text and in replace
arguments (where `\\/` and `\\\\` escape too), but stays `$$` in defaults and other
arguments. Every default form (`=`, `:=`, `:-`, and `:?`/`:+`, which the parser accepts
and treats alike) applies when the value is empty or unset; `${x-d}` and `${x+d}` do not
parse. String functions work on the UTF-8 bytes as Go does, so a cut through a character
leaves bytes that are not UTF-8 (kept as surrogate escapes). Strictness is the mapper's:
in strict mode only a plain `${x}` of an unset variable fails. The parser and evaluator
are written from the package's behaviour (parse/parse.go, parse/scan.go, template.go,
funcs.go, path/match.go); the docstrings name the quirks.

This module is the entry point (template.go); the language's parts live beside it:
render/envsubst_parser.py (the parser), render/envsubst_functions.py (the string
functions), render/envsubst_glob.py (the trims' glob), render/envsubst_runes.py (Go's
bytes-as-runes) and render/envsubst_syntax.py (the nodes and the error).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from render.envsubst_functions import apply
from render.envsubst_parser import Parser
from render.envsubst_syntax import EnvsubstError, Expansion, Node

__all__ = ["EnvsubstError", "Expansion", "Node", "evaluate", "parse"]


def evaluate(text: str, values: Mapping[str, str], *, strict: bool) -> str:
    """`text` with every expansion replaced, as kustomize's varSubstitution calls envsubst.Eval."""

    def lookup(name: str) -> tuple[str, bool]:
        return (values[name], True) if name in values else ("", not strict)

    out = b"".join(_evaluate(node, lookup) for node in parse(text))
    return out.decode("utf-8", "surrogateescape")


def parse(text: str) -> tuple[Node, ...]:
    """The template's nodes. A NUL reads as the end of input, as in the package's scanner."""
    return Parser(text.split("\0", 1)[0]).template()


def _evaluate(node: Node, lookup: Callable[[str], tuple[str, bool]]) -> bytes:
    """Arguments first (a missing variable inside an unused default still fails), then the value."""
    if isinstance(node, str):
        return node.encode("utf-8", "surrogateescape")
    args = [_evaluate(arg, lookup) for arg in node.args]
    value, exists = lookup(node.param)
    if node.op == "" and not exists:
        raise EnvsubstError(f'variable not set (strict mode): "{node.param}"')
    return apply(node.op, value.encode(), args)
