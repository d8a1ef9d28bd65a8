"""The envsubst template parser (fluxcd/pkg/envsubst v1.5.0 parse/parse.go, parse/scan.go).

A template is text and `${…}` expansions; what each operator takes as arguments, and
which characters end or escape them, differs by operator. The docstrings name the
package's quirks, reproduced because Flux has them: a failure here is the error Flux
reports for the same text.
"""

from __future__ import annotations

from collections.abc import Callable

from render.envsubst_syntax import EnvsubstError, Expansion, Node

BAD = "bad substitution"
NO_BRACE = "missing closing brace"
NO_NAME = "unable to parse variable name"
NO_ARGUMENT = "unable to parse substitution within function"


class Parser:
    """One template's text, read left to right."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, ahead: int = 0) -> str:
        return self.text[self.pos + ahead : self.pos + ahead + 1]

    def at_expansion(self) -> bool:
        return self.text.startswith("${", self.pos)

    def run(self, accept: Callable[[str], bool], limit: int = -1) -> str:
        start = self.pos
        while self.peek() and accept(self.peek()) and self.pos - start != limit:
            self.pos += 1
        return self.text[start : self.pos]

    def close(self) -> None:
        if self.peek() != "}":
            raise EnvsubstError(BAD)
        self.pos += 1

    def template(self) -> tuple[Node, ...]:
        nodes: list[Node] = []
        chars: list[str] = []
        while self.pos < len(self.text):
            if self.at_expansion():
                nodes += ["".join(chars)] if chars else []
                chars = []
                self.pos += 2
                nodes.append(self.expansion())
            elif self.text.startswith("$$", self.pos):
                chars.append("$")
                self.pos += 2
            else:
                chars.append(self.text[self.pos])
                self.pos += 1
        return (*nodes, "".join(chars)) if chars else tuple(nodes)

    def expansion(self) -> Expansion:
        """After `${`: the name (letters, digits, `_`, Unicode included), then the operator."""
        if self.peek() == "#":
            self.pos += 1
            name = self.run(is_name_char)
            if not name:
                raise EnvsubstError(BAD)
            self.close()
            return Expansion(name, "#")
        name = self.run(is_name_char)
        if not name:
            raise EnvsubstError(NO_NAME)
        follow = self.peek()
        if follow == "}":
            self.pos += 1
            return Expansion(name, "")
        if follow == ":":
            return self.colon(name)
        if follow == "=":
            return self.default(name, "=")
        if follow in (",", "^"):
            op = self.run(lambda char: char in ",^", limit=2)
            self.close()
            return Expansion(name, op)
        if follow == "/":
            return self.replace(name)
        if follow in ("#", "%"):
            op = self.run(lambda char: char == follow, limit=2)
            pattern = self.argument("}", escapes=False)
            self.close()
            return Expansion(name, op, (pattern,))
        raise EnvsubstError(NO_BRACE)  # `${x-d}`, `${x+d}`, `${x y}`, `${x` …

    def colon(self, name: str) -> Expansion:
        """`:=`/`:-`/`:?`/`:+` are defaults, anything else a substring. The scanner steps back
        by the width of the character after `:`, so a non-ASCII one (or the end) fails."""
        after = self.peek(1)
        if after in ("=", "-", "?", "+"):
            return self.default(name, ":" + after)
        if not after or not after.isascii():
            raise EnvsubstError(BAD)
        self.pos += 1
        offset = self.argument(":}", escapes=False)
        if self.peek() == "}":
            self.pos += 1
            return Expansion(name, ":", (offset,))
        if self.peek() != ":":
            raise EnvsubstError(BAD)
        self.run(lambda char: char == ":")
        length = self.argument("}", escapes=False)
        self.close()
        return Expansion(name, ":", (offset, length))

    def default(self, name: str, op: str) -> Expansion:
        """Arguments until `}`: texts and nested expansions, joined when used."""
        self.pos += len(op)
        args: list[Node] = []
        while self.peek() != "}":
            args.append(self.argument("}", escapes=False))
        self.pos += 1
        return Expansion(name, op, tuple(args))

    def replace(self, name: str) -> Expansion:
        """`/`, `//`, `/#`, `/%`; the pattern runs to the next `/` (a `}` included), `\\/`,
        `\\\\` and `$$` escape; a run of `/` separates; no replacement means an empty one."""
        self.pos += 1
        op = "/" + (self.peek() if self.peek() in ("/", "#", "%") else "")
        self.pos += len(op) - 1
        pattern = self.argument("/", escapes=True)
        if self.peek() != "/":
            raise EnvsubstError(BAD)
        self.run(lambda char: char == "/")
        if self.peek() == "}":
            self.pos += 1
            return Expansion(name, op, (pattern,))
        replacement = self.argument("}", escapes=True)
        self.close()
        return Expansion(name, op, (pattern, replacement))

    def argument(self, stops: str, *, escapes: bool) -> Node:
        """One expansion, or text up to a stop character, `${` or the end (at least one character)."""
        if self.pos >= len(self.text):
            raise EnvsubstError(NO_ARGUMENT)
        if self.at_expansion():
            self.pos += 2
            return self.expansion()
        chars: list[str] = []
        while self.pos < len(self.text) and not self.at_expansion():
            char, follow = self.peek(), self.peek(1)
            if escapes and ((char == "$" and follow == "$") or (char == "\\" and follow in ("/", "\\"))):
                chars.append(follow)
                self.pos += 2
            elif char in stops:
                break
            else:
                chars.append(char)
                self.pos += 1
        if not chars:
            raise EnvsubstError(NO_ARGUMENT)
        return "".join(chars)


def is_name_char(char: str) -> bool:
    return char.isalpha() or char.isdecimal() or char == "_"  # Go's unicode.IsLetter / IsDigit
