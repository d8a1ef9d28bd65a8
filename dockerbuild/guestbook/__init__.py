"""Guestbook: the sample app that proves both cross-border flows end to end.

It runs as its own least-privilege database role, never as the master user. Its
credential, the app's own secret in Secrets Manager rotated with alternating users,
arrives as files from a Kubernetes Secret that External Secrets fills; it is reached by
name through an ALB.
"""
