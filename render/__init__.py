"""Offline rendering of what Flux would apply to each cluster, validated object by object.

For one environment: the entry points under `clusters/<env>/`, every Flux Kustomization
they name built with kustomize and substituted from the bridge ConfigMap, every
HelmRelease of this repository's charts rendered with real Helm, and every resulting
object validated against its schema with unknown fields rejected.
"""
