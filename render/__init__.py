"""Offline rendering of what each cluster will hold, validated object by object.

For one environment: the platform stack's Helm releases with their real charts (what
Terraform installs), then the Flux tree on top of them as Flux v2.8 builds it (the sync
Kustomization of `clusters/<env>/`, every Kustomization it applies through Flux's
generator, kustomize and post-build substitution from the bridge ConfigMap, every
HelmRelease with real Helm), and every object validated against what that environment's
API server will serve. What is reproduced and where it stops: docs/render.md.
"""
