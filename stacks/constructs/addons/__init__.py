"""Cluster controllers installed as Helm releases: one typed unit per controller."""
