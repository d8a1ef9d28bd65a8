"""Guestbook: the sample app that proves both cross-border flows end to end.

Its database credentials arrive as files from a Kubernetes Secret that External
Secrets fills from the RDS-managed secret; it is reached by name through an ALB.
"""
