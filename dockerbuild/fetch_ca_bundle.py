"""Image build step: download a PEM bundle of CA certificates, and refuse anything else.

The app verifies the database's server certificate (libpq sslmode verify-full) against
AWS's RDS CA bundle, which the image carries: pods fetch no trust anchors at run time.
Without this check a proxy's error page, an empty body or a cut-off download would be
baked into the image and surface only as failed database connections after a rollout.

Usage (Dockerfile, as root in a build stage): python fetch_ca_bundle.py URL DESTINATION
"""

from __future__ import annotations

import ssl
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BEGIN = "-----BEGIN CERTIFICATE-----"


class BundleError(RuntimeError):
    """What was downloaded is not a usable CA bundle; the message says why."""


def certificate_count(pem: str) -> int:
    """How many certificates OpenSSL loads from `pem`; BundleError if there are none or one is broken."""
    if BEGIN not in pem:
        raise BundleError("holds no PEM certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem)
    except ssl.SSLError as error:
        # A download cut off inside a certificate ends here (PEM "bad end line").
        raise BundleError(f"does not load as certificates: {error.reason or error}") from None
    return int(context.cert_store_stats()["x509"])


def install(pem: str, destination: Path) -> int:
    """Write a checked bundle where the image keeps it (world-readable, owned by the build's user)."""
    count = certificate_count(pem)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(pem.strip() + "\n", encoding="ascii")
    destination.chmod(0o644)
    return count


def download(url: str) -> str:
    if urlsplit(url).scheme != "https":
        raise BundleError("is refused: only https URLs are fetched (the bundle is a trust anchor)")
    # The scheme is checked just above; the TLS connection is verified against the
    # build stage's system CAs (the base image's ca-certificates).
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
            body: bytes = response.read()
    except OSError as error:  # URLError and HTTPError included
        raise BundleError(f"could not be downloaded: {error}") from None
    try:
        return body.decode("ascii")
    except UnicodeDecodeError:
        raise BundleError("is not ASCII text, so not a PEM bundle") from None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: fetch_ca_bundle.py URL DESTINATION", file=sys.stderr)
        return 2
    url, destination = argv
    try:
        count = install(download(url), Path(destination))
    except BundleError as error:
        print(f"CA bundle from {url} {error}", file=sys.stderr)
        return 1
    print(f"{destination}: {count} certificates from {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
