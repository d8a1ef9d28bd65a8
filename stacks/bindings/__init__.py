"""The one module every provider class is imported through.

Importing a prebuilt provider package the normal way executes every one of its
submodules (about 2,200 for AWS) to register their types with jsii, and makes Node.js
`require` all of their JavaScript: ~20 s and over a gigabyte before the first resource
exists. A stack needs only the submodules it uses. So each provider package is set up
as an empty package shell plus its `_jsii` assembly, and a submodule is imported the
first time it is named:

    from stacks.bindings import aws
    aws.vpc.Vpc(self, "vpc", cidr_block="10.0.0.0/16")

The Node.js side gets the same treatment (`lazy_provider_index.cjs`, set up by
`node_runtime.py`). `FULL_PROVIDER_IMPORT=1` forces the normal import path on both
sides (the benchmark and the byte-identity test compare the two). If the shell cannot
be set up, the normal import is used as well. This is also the one place to change if
the bindings are ever swapped for another build of the same providers (e.g. CDK
Terrain's).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

from stacks.bindings.node_runtime import full_import_requested


class LazyProvider:
    """A provider package whose submodules are imported on first attribute access."""

    def __init__(self, package: str) -> None:
        self._package = package
        self._prepared = False

    def __getattr__(self, name: str) -> ModuleType:
        if name.startswith("_"):
            raise AttributeError(name)
        self._prepare()
        module = importlib.import_module(f"{self._package}.{name}")
        setattr(self, name, module)
        return module

    def _prepare(self) -> None:
        if self._prepared:
            return
        if full_import_requested() or not _load_shell(self._package):
            importlib.import_module(self._package)
        self._prepared = True


def _load_shell(package: str) -> bool:
    """Register `package` without running its `__init__`, then load its jsii assembly."""
    if package in sys.modules:
        return True
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return False
    sys.modules[package] = importlib.util.module_from_spec(spec)
    try:
        importlib.import_module(f"{package}._jsii")
    except Exception:  # noqa: BLE001 - any failure here means: use the normal import
        for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
            del sys.modules[name]
        return False
    return True


aws = LazyProvider("cdktf_cdktf_provider_aws")
helm = LazyProvider("cdktf_cdktf_provider_helm")
kubernetes = LazyProvider("cdktf_cdktf_provider_kubernetes")
