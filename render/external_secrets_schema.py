"""JSON schemas of the External Secrets (external-secrets.io/v1) objects this repository uses.

Written from the v1 API reference for the fields this project relies on; anything else
is rejected, so a misspelt field fails here rather than being dropped by the API server.
Extend them when a manifest needs another documented field.
"""

from __future__ import annotations

from typing import Any

STRING = {"type": "string", "minLength": 1}
DURATION = {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$"}
METADATA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": STRING,
        "namespace": STRING,
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or [], "additionalProperties": False}


def _resource(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return _object(
        {
            "apiVersion": {"const": "external-secrets.io/v1"},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        ["apiVersion", "kind", "metadata", "spec"],
    )


AWS_PROVIDER = _object(
    {
        "service": {"enum": ["SecretsManager", "ParameterStore"]},
        "region": STRING,
        "role": STRING,
        "prefix": STRING,
    },
    ["service", "region"],
)

CLUSTER_SECRET_STORE = _resource(
    "ClusterSecretStore",
    _object(
        {
            "provider": _object({"aws": AWS_PROVIDER}, ["aws"]),
            "refreshInterval": {"type": "integer", "minimum": 0},
        },
        ["provider"],
    ),
)

REMOTE_REF = _object(
    {
        "key": STRING,
        "property": STRING,
        "version": STRING,
        "conversionStrategy": {"enum": ["Default", "Unicode"]},
        "decodingStrategy": {"enum": ["Auto", "Base64", "Base64URL", "None"]},
    },
    ["key"],
)

EXTERNAL_SECRET = _resource(
    "ExternalSecret",
    _object(
        {
            "refreshInterval": DURATION,
            "refreshPolicy": {"enum": ["CreatedOnce", "Periodic", "OnChange"]},
            "secretStoreRef": _object(
                {"kind": {"enum": ["SecretStore", "ClusterSecretStore"]}, "name": STRING}, ["kind", "name"]
            ),
            "target": _object(
                {
                    "name": STRING,
                    "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                    "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                    "immutable": {"type": "boolean"},
                    "template": _object(
                        {
                            "engineVersion": {"enum": ["v2"]},
                            "type": STRING,
                            "mergePolicy": {"enum": ["Replace", "Merge"]},
                            "metadata": _object(
                                {
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                                }
                            ),
                            "data": {"type": "object", "additionalProperties": {"type": "string"}},
                        }
                    ),
                },
                ["name"],
            ),
            "data": {
                "type": "array",
                "items": _object({"secretKey": STRING, "remoteRef": REMOTE_REF}, ["secretKey", "remoteRef"]),
            },
        },
        ["secretStoreRef", "target"],
    ),
)

SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("external-secrets.io/v1", "ClusterSecretStore"): CLUSTER_SECRET_STORE,
    ("external-secrets.io/v1", "ExternalSecret"): EXTERNAL_SECRET,
}
