"""The CA bundle the database's certificate is verified against, and the TLS context.

Decision: in AWS, CA_BUNDLE is RDS's global bundle URL and the function downloads it
once per cold start into /tmp, over TLS verified against the runtime's system CAs, and
refuses anything that does not load as PEM certificates. Shipping it instead would need
the bundle at synth time (a download there, or a copy in Git to keep current by hand);
the function needs HTTPS egress for the Secrets Manager API anyway, and a failed download
only fails this rotation, while the credential in use keeps working. Tests and a local
run point CA_BUNDLE at a file.

The context checks the chain and the host name, as libpq's sslmode=verify-full does for
the app. It is built from PROTOCOL_TLS_CLIENT rather than create_default_context,
whose Python 3.13 VERIFY_X509_STRICT flag libpq does not apply.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import urllib.request
from http.client import HTTPMessage
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

RDS_GLOBAL_BUNDLE = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
CACHE = Path(tempfile.gettempdir()) / "rds-ca-bundle.pem"  # /tmp: Lambda's only writable place
MAX_BYTES = 1 << 20  # the global bundle is about 160 KB
BEGIN = "-----BEGIN CERTIFICATE-----"


class BundleError(RuntimeError):
    """The CA bundle cannot be used; the message says why."""


def certificate_count(pem: str) -> int:
    """How many certificates OpenSSL loads from `pem`; BundleError if none, or one is broken."""
    if BEGIN not in pem:
        raise BundleError("holds no PEM certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem)
    except ssl.SSLError as error:
        raise BundleError(f"does not load as certificates ({error.reason or error})") from None
    return int(context.cert_store_stats()["x509"])


def bundle_file(source: str, *, cache: Path = CACHE, trust: ssl.SSLContext | None = None) -> Path:
    """A checked PEM file from CA_BUNDLE: downloaded if it is an https URL, else the file itself."""
    if source.startswith("https://"):
        return download(source, cache, trust=trust)
    path = Path(source)
    try:
        certificate_count(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError) as error:
        raise BundleError(f"CA bundle {path} cannot be read: {error}") from None
    except BundleError as error:
        raise BundleError(f"CA bundle {path} {error}") from None
    return path


def download(url: str, destination: Path, *, trust: ssl.SSLContext | None = None) -> Path:
    """Fetch `url` (https only, redirects included) and write it to `destination` once checked."""
    if urlsplit(url).scheme != "https":
        raise BundleError(f"CA bundle {url} is refused: only https URLs are fetched")
    https = urllib.request.HTTPSHandler(context=trust or ssl.create_default_context())  # the runtime's CAs
    opener = urllib.request.build_opener(https, _HttpsRedirectsOnly)
    try:
        with opener.open(url, timeout=30) as response:
            body: bytes = response.read(MAX_BYTES + 1)
    except OSError as error:  # URLError, HTTPError and TLS failures included
        raise BundleError(f"CA bundle {url} could not be downloaded: {error}") from None
    if len(body) > MAX_BYTES:
        raise BundleError(f"CA bundle {url} is refused: larger than {MAX_BYTES} bytes")
    try:
        pem = body.decode("ascii")
        certificate_count(pem)
    except UnicodeDecodeError:
        raise BundleError(f"CA bundle {url} is not ASCII text, so not PEM") from None
    except BundleError as error:
        raise BundleError(f"CA bundle {url} {error}") from None
    staged = destination.with_name(f".{destination.name}.{os.getpid()}")
    staged.write_text(pem, encoding="ascii")
    staged.replace(destination)
    return destination


class _HttpsRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """urllib follows a redirect from https to http by default; a trust anchor must not."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme != "https":
            raise BundleError(f"CA bundle {req.full_url} is refused: redirected to {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def database_context(bundle: Path) -> ssl.SSLContext:
    """Verify the server's chain against `bundle` only, and its name: no system CAs, no TLS < 1.2."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cafile=str(bundle))
    return context
