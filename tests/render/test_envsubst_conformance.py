"""Flux's envsubst, case by case: input, variables, strictness, and what Flux produces or says.

The expectations are Flux's, read from fluxcd/pkg at tag envsubst/v1.5.0 (the version
kustomize-controller v1.8.5 builds with, per its go.sum): the package's own tests
(eval_test.go, funcs_test.go, parse/parse_test.go) and, where no test covers a case, the
code path named in the comment (parse/parse.go, parse/scan.go, template.go, funcs.go,
path/match.go). Paths below are relative to `envsubst/` of that tag.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from render.envsubst import EnvsubstError, evaluate


@dataclass(frozen=True)
class Case:
    text: str
    values: dict[str, str] = field(default_factory=dict)
    expected: str | None = None
    error: str | None = None
    strict: bool = False


FILE = "/path/to/file"
LONG = "123456789123456789"
CASES = [
    # --- plain variables, escaping (parse/scan.go: only `${` opens an expansion, `$$` is one `$`)
    # eval_test.go TestExpandStrict "existing"
    Case("${foo}", {"foo": "bar"}, "bar", strict=True),
    # eval_test.go TestExpand "some text ${var01}$${var$${var01}$var01${var01}": bare $var01 stays text
    Case("$x and ${x}", {"x": "v"}, "$x and v"),
    # eval_test.go TestExpand "escaped"
    Case("$${var01}", {"var01": "abcdEFGH28ij"}, "${var01}"),
    # parse/parse_test.go "$$string" → TextNode "$string"
    Case("$$string", {"string": "v"}, "$string"),
    # eval_test.go TestExpand, the mixed escaping line
    Case(
        "some text ${var01}$${var$${var01}$var01${var01}",
        {"var01": "abcdEFGH28ij"},
        "some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij",
    ),
    # eval_test.go TestExpand "something $${var=${default_var}}": escaped outside, expanded inside
    Case("something $${var=${default_var}}", {"default_var": "foo"}, "something ${var=foo}"),
    # parse/scan.go scanEscaped: pairs collapse left to right, so four `$` are two
    Case("$$$${x}", {"x": "v"}, "$${x}"),
    # eval_test.go TestExpand "escape outside of expansion shouldn't be processed"
    Case("\\\\something ${var=${default_var}}", {"default_var": "foo"}, "\\\\something foo"),
    # template.go evalFunc writes the value once: a value is never expanded again
    Case("${x}", {"x": "${y}"}, "${y}"),
    # parse/parse.go parseFunc accepts unicode.IsLetter/IsDigit in names (kustomize rejects such keys)
    Case("${café}", {"café": "v"}, "v"),
    # --- defaults: every form uses the default when the value is empty (funcs.go toDefault)
    # eval_test.go TestExpand "default used"
    Case("${var=xyz}", {}, "xyz"),
    # eval_test.go TestExpand "default not used"
    Case("${var=abc}", {"var": "abc"}, "abc"),
    # funcs_test.go Test_default: toDefault("", …) uses the default; `=` is not bash's "only if unset"
    Case("${var=xyz}", {"var": ""}, "xyz"),
    # eval_test.go TestExpand "${var:=xyz}"
    Case("${var:=xyz}", {}, "xyz"),
    # parse/parse.go parseDefaultFunc + funcs.go toDefault, set but empty
    Case("${var:=xyz}", {"var": ""}, "xyz"),
    # parse/parse_test.go "${string:-default}" → FuncNode ":-"; template.go lookupFunc → toDefault
    Case("${var:-xyz}", {"var": ""}, "xyz"),
    # parse/parse_test.go "${string:+default}" parses; lookupFunc maps ":+" to toDefault, not bash's "alternative"
    Case("${var:+alt}", {"var": "set"}, "set"),
    # same path, value unset: the "alternative" acts as a default (README lists `:+` as unsupported)
    Case("${var:+alt}", {}, "alt"),
    # parse/parse_test.go "${string:?default}" → FuncNode ":?", a default again (no error)
    Case("${var:?message}", {}, "message"),
    # parse/parse.go parseFunc: `-` after a name is not an operator → consumeRbrack fails
    Case("${var-xyz}", {}, error="missing closing brace"),
    # same path for `+`
    Case("${var+xyz}", {"var": "a"}, error="missing closing brace"),
    # eval_test.go TestExpand "something ${var=${default_var}}": nested default
    Case("something ${var=${default_var}}", {"default_var": "foo"}, "something foo"),
    # eval_test.go TestExpand "foo: ${var=prefix${default_var}-suffix}"
    Case("foo: ${var=prefix${default_var}-suffix}", {"default_var": "foo1"}, "foo: prefixfoo1-suffix"),
    # parse/parse.go parseParam in defaults has no scanEscape: `$$` stays, `${y}` still expands
    Case("${x:=a$${y}}", {"y": "v"}, "a$v"),
    # parse/parse.go parseDefaultFunc stops at the first `}`; the rest is text
    Case("${x:=a}b}", {}, "ab}"),
    # funcs.go toDefault with no arguments returns the value
    Case("${x:=}", {}, ""),
    # --- strictness (template.go evalFunc: only a plain `${x}` of an unset variable fails)
    # eval_test.go TestExpandStrict "missing"; the message is errVarNotSet with %q of the name
    Case("${missing}", {}, error='variable not set (strict mode): "missing"', strict=True),
    # eval_test.go TestExpandStrict "existing string empty"
    Case("${foo}", {"foo": ""}, "", strict=True),
    # eval_test.go TestExpandStrict "missing but has default"
    Case("${missing:=default}", {"foo": "bar"}, "default", strict=True),
    # eval.go EvalEnv / kustomize_varsub.go: without strict the mapper answers ("", true)
    Case("a${missing}b", {}, "ab"),
    # template.go evalFunc: node.Name is ",," so no strict check; toLower("") is ""
    Case("[${missing,,}]", {}, "[]", strict=True),
    # same: `${#x}` of an unset variable is the length of ""
    Case("${#missing}", {}, "0", strict=True),
    # template.go evalFunc evaluates the arguments first: an unused default's variable still fails
    Case("${x:=${y}}", {"x": "set"}, error='variable not set (strict mode): "y"', strict=True),
    # --- malformed expansions (parse/parse.go errors)
    # parseFunc → consumeRbrack at the end → ErrMissingClosingBrace
    Case("name: ${x", {"x": "v"}, error="missing closing brace"),
    # parseFunc: a space is not a name character → ErrParseVariableName
    Case("${ x}", {"x": "v"}, error="unable to parse variable name"),
    # same for an empty name
    Case("${}", {}, error="unable to parse variable name"),
    # parseLenFunc without a name → ErrBadSubstitution
    Case("${#}", {}, error="bad substitution"),
    # parseCasingFunc reads at most two of `,^`, then needs `}`
    Case("${x^^^}", {"x": "a"}, error="bad substitution"),
    # parseSubstrFunc: the offset may not be empty (rejectColonClose) → ErrParseFuncSubstitution
    Case("${x:}", {"x": "abc"}, error="unable to parse substitution within function"),
    # parseRemoveFunc: the pattern may not be empty → ErrParseFuncSubstitution
    Case("${x#}", {"x": "abc"}, error="unable to parse substitution within function"),
    # parseDefaultOrSubstr unreads by the width of the character after `:`, landing inside the name
    Case("${x:é}", {"x": "abc"}, error="bad substitution"),
    # parseReplaceFunc: the pattern runs up to a `/` (a `}` included); none follows → ErrBadSubstitution
    Case("${x/#abc}", {"x": "abcd"}, error="bad substitution"),
    # --- case functions (eval_test.go TestExpand "uppercase first" … "lowercase")
    Case("${var01^}", {"var01": "abcdEFGH28ij"}, "AbcdEFGH28ij"),
    Case("${var01^^}", {"var01": "abcdEFGH28ij"}, "ABCDEFGH28IJ"),
    Case("${var01,}", {"var01": "ABCDEFGH28IJ"}, "aBCDEFGH28IJ"),
    Case("${var01,,}", {"var01": "ABCDEFGH28IJ"}, "abcdefgh28ij"),
    # funcs.go toUpper is strings.ToUpper: simple case mapping, so ß has no upper case
    Case("${x^^}", {"x": "straße"}, "STRAßE"),
    # lookupFunc: "^," is no known name → toDefault without arguments → the value unchanged
    Case("${x^,}", {"x": "ab"}, "ab"),
    # --- length and substrings
    # eval_test.go TestExpand "length"
    Case("${#var01}", {"var01": "abcdEFGH28ij"}, "12"),
    # funcs.go toLen is len(s): bytes, not characters
    Case("${#x}", {"x": "héllo"}, "6"),
    # eval_test.go TestExpand "substring with position"
    Case("${path_name:11}", {"path_name": "/home/bozo/ideas/thoughts.for.today"}, "ideas/thoughts.for.today"),
    # eval_test.go TestExpand "substring with position and length"
    Case("${path_name:11:5}", {"path_name": "/home/bozo/ideas/thoughts.for.today"}, "ideas"),
    # funcs_test.go Test_substr "0", "8"
    Case("${x:0:8}", {"x": LONG}, "12345678"),
    # funcs_test.go Test_substr "9", "50": the length is cut at the end
    Case("${x:9:50}", {"x": LONG}, "123456789"),
    # funcs_test.go Test_substr "-3", "2" (a negative offset can only come from a nested expansion)
    Case("${x:${n}:2}", {"x": LONG, "n": "-3"}, "78"),
    # funcs_test.go Test_substr "12345678", "9", "1": an offset past the end is empty
    Case("[${x:9:1}]", {"x": "12345678"}, "[]"),
    # funcs.go toSubstr: Atoi(" -3") fails → the value unchanged (bash's `${x: -3}` does not work)
    Case("${x: -3}", {"x": "abcdef"}, "abcdef"),
    # parse/parse.go parseDefaultOrSubstr: `:-` is a default, so `${x:-3}` is never a substring
    Case("${x:-3}", {"x": "abcdef"}, "abcdef"),
    # funcs.go toSubstr slices s[pos:pos+length]; 1+(-1) < 1 makes Go panic
    Case("${x:1:-1}", {"x": "abc"}, error="runtime error: slice bounds out of range [1:0]"),
    # --- replace (eval_test.go TestExpand "replace suffix/prefix/all/first" and escaping cases)
    Case("${stringZ/%abc/XYZ}", {"stringZ": "abcABC123ABCabc"}, "abcABC123ABCXYZ"),
    Case("${stringZ/#abc/XYZ}", {"stringZ": "abcABC123ABCabc"}, "XYZABC123ABCabc"),
    Case("${stringZ//abc/xyz}", {"stringZ": "abcABC123ABCabc"}, "xyzABC123ABCxyz"),
    Case("${stringZ/abc/xyz}", {"stringZ": "abcABC123ABCabc"}, "xyzABC123ABCabc"),
    Case("${stringZ/\\//-}", {"stringZ": "foo/bar"}, "foo-bar"),
    Case("${stringZ//\\//-}", {"stringZ": "foo/bar/baz"}, "foo-bar-baz"),
    # eval_test.go TestExpand "substitute with a blank string"
    Case("${stringZ/./}", {"stringZ": "foo.bar"}, "foobar"),
    # funcs.go replacePrefix: `len(args) != 2` → unchanged, so `/#` needs a replacement
    Case("${x/#abc/}", {"x": "abcd"}, "abcd"),
    # --- removal with patterns (eval_test.go TestExpand "delete shortest/longest match …")
    Case("${filename#*.}", {"filename": "bash.string.txt"}, "string.txt"),
    Case("${filename##*.}", {"filename": "bash.string.txt"}, "txt"),
    Case("${filename%.*}", {"filename": "bash.string.txt"}, "bash.string"),
    Case("${filename%%.*}", {"filename": "bash.string.txt"}, "bash"),
    # eval_test.go TestExpand "${filename#*/}" on "/path/to/file": `*` also matches `/`
    Case("${filename#*/}", {"filename": FILE}, "path/to/file"),
    Case("${filename##*/}", {"filename": FILE}, "file"),
    # funcs.go trimShortest: path.Match returns ErrBadPattern for "[" → the value unchanged
    Case("${x#[}", {"x": "abc"}, "abc"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.text}|{sorted(c.values.items())}|{c.strict}" for c in CASES])
def test_flux_envsubst(case: Case) -> None:
    if case.error is None:
        assert evaluate(case.text, case.values, strict=case.strict) == case.expected
    else:
        with pytest.raises(EnvsubstError) as caught:
            evaluate(case.text, case.values, strict=case.strict)
        assert str(caught.value) == case.error


def test_the_table_is_a_conformance_table() -> None:
    assert len(CASES) >= 40
    assert all((case.expected is None) != (case.error is None) for case in CASES)
