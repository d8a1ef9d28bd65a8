"""What the API server checks in a custom resource's metadata besides its types.

apimachinery's ValidateObjectMeta as apiextensions-apiserver calls it: the resource's name
(or generateName) is required and is a DNS-1123 subdomain, the namespace a DNS-1123
label, label keys and annotation keys are qualified names, label values are short
names, and all annotations together stay under 256 KiB. An embedded resource's name
only has to be a path segment (objectmeta/validation.go). Values of the wrong type are
left to the schema, which reports them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
ANNOTATIONS_MAX_BYTES = 256 * 1024


def problems(metadata: object, path: str, *, root: bool) -> list[str]:
    if not isinstance(metadata, Mapping):
        return [f"{path}: Required value: name or generateName is required"] if root else []
    found: list[str] = []
    name, generate_name = metadata.get("name"), metadata.get("generateName")
    if root and not name and not generate_name:
        found.append(f"{path}.name: Required value: name or generateName is required")
    for field, value in (("name", name), ("generateName", generate_name)):
        if isinstance(value, str) and value:
            checked = value[:-1] if field == "generateName" and value.endswith("-") else value
            why = _subdomain(checked) if root else _path_segment(checked)
            found += [f"{path}.{field}: Invalid value: {value!r}: {why}"] if why else []
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace and (why := _label(namespace)):
        found.append(f"{path}.namespace: Invalid value: {namespace!r}: {why}")
    found += _labels(metadata.get("labels"), f"{path}.labels")
    found += _annotations(metadata.get("annotations"), f"{path}.annotations")
    return found


def _labels(labels: Any, path: str) -> list[str]:
    if not isinstance(labels, Mapping):
        return []
    found = []
    for key, value in labels.items():
        if why := _qualified_name(str(key)):
            found.append(f"{path}: Invalid value: {key!r}: {why}")
        if isinstance(value, str) and value and (len(value) > 63 or not NAME_PART.match(value)):
            found.append(
                f"{path}.{key}: Invalid value: {value!r}: a label value must be empty or at most 63 characters "
                "of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric"
            )
    return found


def _annotations(annotations: Any, path: str) -> list[str]:
    if not isinstance(annotations, Mapping):
        return []
    found = [
        f"{path}: Invalid value: {key!r}: {why}" for key in annotations if (why := _qualified_name(str(key).lower()))
    ]
    size = sum(len(str(k).encode()) + len(str(v or "").encode()) for k, v in annotations.items())
    if size > ANNOTATIONS_MAX_BYTES:
        found.append(f"{path}: Too long: may not be more than {ANNOTATIONS_MAX_BYTES} bytes (found {size})")
    return found


def _qualified_name(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or _subdomain(prefix)):
        return "a qualified name's prefix must be a DNS-1123 subdomain (lowercase, at most 253 characters)"
    if not name or len(name) > 63 or not NAME_PART.match(name):
        return (
            "a qualified name must be at most 63 characters of alphanumerics, '-', '_' or '.', "
            "starting and ending with an alphanumeric, with an optional DNS subdomain prefix and '/'"
        )
    return None


def _subdomain(value: str) -> str | None:
    if len(value) > 253 or not DNS_SUBDOMAIN.match(value):
        return (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character (at most 253 characters)"
        )
    return None


def _label(value: str) -> str | None:
    if len(value) > 63 or not DNS_LABEL.match(value):
        return (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character (at most 63 characters)"
        )
    return None


def _path_segment(value: str) -> str | None:
    if value in (".", "..") or "/" in value or "%" in value:
        return "may not be '.' or '..' and may not contain '/' or '%'"
    return None
