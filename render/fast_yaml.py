"""PyYAML's safe loader and dumper with libyaml's C parser and emitter where PyYAML has it.

The render reads and writes megabytes of YAML per run (charts' CRDs, the rendered tree,
flux build's output); libyaml does it four to eight times faster than the pure-Python
classes, with the same resolver and constructors, so the same objects. Long strings fold
differently when written. The fallback is for a PyYAML built without libyaml. PyYAML only:
the flux-build check imports this without the project's other dependencies.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
