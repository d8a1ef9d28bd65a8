"""What a parsed envsubst template is made of, and the one error of the language.

Its own module because the parser builds these nodes, the evaluator walks them and the
string functions raise the same error: keeping them here lets each of those modules
import them without importing another.
"""

from __future__ import annotations

from dataclasses import dataclass


class EnvsubstError(Exception):
    """The package's error text; `panicked` when Go would have panicked (kustomize-controller recovers)."""

    def __init__(self, message: str, *, panicked: bool = False) -> None:
        super().__init__(message)
        self.panicked = panicked


@dataclass(frozen=True)
class Expansion:
    """`${param<op>args}`: op "" is a plain `${param}`; each argument is one text or one expansion."""

    param: str
    op: str
    args: tuple[Node, ...] = ()


Node = str | Expansion
