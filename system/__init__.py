"""The system model: the relations between stacks, clusters, workflows and config.

Every other check looks at one artifact. This package reads what the main job already
produced (synthesized stacks, rendered clusters), the workflows and the environment
config together, and holds them to named invariants — who calls the Kubernetes API
with which identity, where each stack's state lives, which traffic the policies admit,
what can become Ready in which order, where each bridge value comes from, and what
may write to Git. Each violation is one line, like a configuration error.
"""
