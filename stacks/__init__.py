"""CDKTF stacks, constructs and configuration of the platform.

jsii starts its Node.js process on the first `import cdktf`; the process is configured
here, before anything in this package can import cdktf.
"""

from stacks.bindings.node_runtime import configure_node_runtime

configure_node_runtime()
