"""How kustomize-controller reads an object's text: go-yaml v2 typing → JSON → unstructured.

Expectations are Flux's, read from go.yaml.in/yaml/v2 v2.4.3 (resolve.go, decode.go and
its decode_test.go tables), sigs.k8s.io/yaml v1.6.0 (yaml.go YAMLToJSON,
convertToJSONableObject) and Go's encoding/json, the versions kustomize-controller v1.8.5
builds with. Each case names its source.
"""

from __future__ import annotations

from typing import Any

import pytest

from render.flux_yaml import FluxYamlError, load_document

RETYPED: list[tuple[str, Any]] = [
    # resolve.go resolveMapList: YAML 1.1 booleans
    ("yes", True),
    ("Y", True),
    ("on", True),
    ("NO", False),
    ("off", False),
    ("n", False),
    ("true", True),
    # resolve.go resolveMapList: null spellings
    ("~", None),
    ("Null", None),
    ("", None),
    # resolve.go: ParseInt(…, 0, 64) reads 0x, 0o, 0b and a leading 0 as octal; underscores dropped
    ("0x1F", 31),
    ("017", 15),
    ("0o17", 15),
    ("0b101", 5),
    ("1_000", 1000),
    ("+1", 1),
    # resolve.go: not octal (8, 9) → yamlStyleFloat → float64; json.Marshal prints it without
    # a fraction, and apimachinery decodes an integer JSON number as int64
    ("012345678901", 12345678901),
    ("08", 8),
    # resolve.go yamlStyleFloat: 1e3 is a float; JSON prints 1000 → int
    ("1e3", 1000),
    ("1.0", 1),
    ("1.5", 1.5),
    (".5", 0.5),
    # encoding/json uses %e from 1e21 on: the number stays a float
    ("1e21", 1e21),
    # resolve.go: too big for ParseInt, ParseUint takes it (uint64); beyond int64 it is a float in unstructured
    ("9223372036854775808", 9223372036854775808.0),
    # resolve.go: base 60 was dropped ("purposefully unsupported") → string
    ("1:20", "1:20"),
    # decode.go scalar: a timestamp decoded into interface{} keeps its text
    ("2024-01-02", "2024-01-02"),
    # decode.go scalar: a quoted scalar is a string; an explicit !!str too
    ("'yes'", "yes"),
    ('"1"', "1"),
    ("!!str 1", "1"),
    # resolve.go: a local tag is not resolvable → the text
    ("!local 3", "3"),
    # resolve.go defer: !!float accepts an int and makes it a float (JSON prints 1 → int again)
    ("!!float 1", 1),
    # decode.go scalar: !!binary is base64-decoded
    ("!!binary aGk=", "hi"),
]


@pytest.mark.parametrize(("scalar", "expected"), RETYPED, ids=[s or "empty" for s, _ in RETYPED])
def test_scalar_typing(scalar: str, expected: Any) -> None:
    value = load_document(f"v: {scalar}\n")["v"]
    assert value == expected
    assert type(value) is type(expected)


KEYS: list[tuple[str, dict[str, Any]]] = [
    # resolve.go: the key `y` is the boolean true; yaml.go convertToJSONableObject writes it "true"
    ("y: 1\nn: 2\n", {"true": 1, "false": 2}),
    # yaml.go convertToJSONableObject: int keys by strconv.Itoa
    ("1: a\n", {"1": "a"}),
    # yaml.go convertToJSONableObject: float keys by FormatFloat(…, 'g', -1, 32), float32 precision
    ("1.5: a\n3.14159265358979: b\n", {"1.5": "a", "3.1415927": "b"}),
    # decode.go mapping: a later duplicate key wins (Unmarshal is not strict)
    ("a: 1\na: 2\n", {"a": 2}),
    # decode.go merge: `<<` merges the aliased map; explicit keys after it win
    ("base: &b {p: 1, q: 2}\nv:\n  <<: *b\n  q: 3\n", {"base": {"p": 1, "q": 2}, "v": {"p": 1, "q": 3}}),
    # decode.go parser.parse: only the first document is read
    ("a: 1\n---\nb: 2\n", {"a": 1}),
    # decode.go newParser: an empty input is a newline; JSON null decodes into an empty map
    ("", {}),
]


@pytest.mark.parametrize(("text", "expected"), KEYS)
def test_keys_and_documents(text: str, expected: dict[str, Any]) -> None:
    assert load_document(text) == expected


ERRORS: list[tuple[str, str, str]] = [
    # decode_test.go unmarshalErrorTests (go-yaml v2.4.3), verbatim
    ("v: !!float 'error'", "yaml: cannot decode !!str `error` as a !!float", "YAMLToJSON"),
    ("v: [A,", "yaml: line 1: did not find expected node content", "YAMLToJSON"),
    ("v:\n- [A,", "yaml: line 2: did not find expected node content", "YAMLToJSON"),
    ("a:\n- b: *,", "yaml: line 2: did not find expected alphabetic or numeric character", "YAMLToJSON"),
    ("a: *b\n", "yaml: unknown anchor 'b' referenced", "YAMLToJSON"),
    ("a: &a\n  b: *a\n", "yaml: anchor 'a' value contains itself", "YAMLToJSON"),
    (
        "a: &x null\n<<:\n- *x\nb: &x {}\n",
        "yaml: map merge requires map or sequence of maps as the value",
        "YAMLToJSON",
    ),
    ("value: -", "yaml: block sequence entries are not allowed in this context", "YAMLToJSON"),
    ("a: !!binary ==", "yaml: !!binary value contains invalid base64 data", "YAMLToJSON"),
    ("{[.]}", 'yaml: invalid map key: []interface {}{"."}', "YAMLToJSON"),
    ("{{.}}", 'yaml: invalid map key: map[interface {}]interface {}{".":interface {}(nil)}', "YAMLToJSON"),
    ("b: *a\na: &a {c: 1}", "yaml: unknown anchor 'a' referenced", "YAMLToJSON"),
    # decode.go parser.fail: a scanner error on the first line has no line number; later ones are 1-based
    ("a: b: c\n", "yaml: mapping values are not allowed in this context", "YAMLToJSON"),
    ("k: v\nx: a: b\n", "yaml: line 2: mapping values are not allowed in this context", "YAMLToJSON"),
    # encoding/json Marshal: UnsupportedValueError for NaN and infinities
    ("v: .inf\n", "json: unsupported value: +Inf", "YAMLToJSON"),
    ("v: -.Inf\n", "json: unsupported value: -Inf", "YAMLToJSON"),
    ("v: .nan\n", "json: unsupported value: NaN", "YAMLToJSON"),
    # yaml.go convertToJSONableObject: a null key has no JSON form
    ("~: a\n", 'unsupported map key of type: %!s(<nil>), key: <nil>, value: "a"', "YAMLToJSON"),
    # kustomize's RNode.UnmarshalJSON decodes into map[string]interface{}
    ("- a\n", "json: cannot unmarshal array into Go value of type map[string]interface {}", "UnmarshalJSON"),
    ("just text\n", "json: cannot unmarshal string into Go value of type map[string]interface {}", "UnmarshalJSON"),
]


@pytest.mark.parametrize(("text", "message", "stage"), ERRORS)
def test_errors_are_flux_lines(text: str, message: str, stage: str) -> None:
    with pytest.raises(FluxYamlError) as caught:
        load_document(text)
    assert str(caught.value) == message
    assert caught.value.stage == stage
    assert "\n" not in str(caught.value)


def test_control_characters_stop_the_reader() -> None:
    # go-yaml v2 readerc.go: the reader refuses control characters (no line: not a scanner error)
    with pytest.raises(FluxYamlError, match=r"^yaml: control characters are not allowed$"):
        load_document("v: a\x01b\n")


def test_bytes_cut_out_of_a_character_stop_the_reader() -> None:
    # envsubst slices bytes (funcs.go toSubstr); go-yaml v2 readerc.go then refuses the text
    text = "v: é\n".encode()[:4].decode("utf-8", "surrogateescape") + "\n"
    with pytest.raises(FluxYamlError, match=r"^yaml: invalid trailing UTF-8 octet$"):
        load_document(text)


def test_keys_come_out_sorted_as_json_marshal_writes_them() -> None:
    assert list(load_document("b: 1\na: 2\nc: 3\n")) == ["a", "b", "c"]
    assert list(load_document("c: {z: 1, m: 2}\n")["c"]) == ["m", "z"]
