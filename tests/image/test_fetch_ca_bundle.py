"""The image build's CA bundle step refuses what is not a bundle of certificates.

A real bundle to plant defects in: certifi's (the test client's dependency), PEM CA
certificates like AWS's RDS bundle. No download happens here: there is no network.
"""

from __future__ import annotations

from pathlib import Path

import certifi
import pytest
from fetch_ca_bundle import BundleError, certificate_count, install, main

BUNDLE = Path(certifi.where()).read_text(encoding="ascii")


def test_a_bundle_is_installed_readable_by_everyone(tmp_path: Path) -> None:
    destination = tmp_path / "etc" / "rds" / "global-bundle.pem"
    count = install(BUNDLE, destination)
    assert count == BUNDLE.count("-----BEGIN CERTIFICATE-----") > 1
    assert destination.read_text() == BUNDLE.strip() + "\n"
    assert destination.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "holds no PEM certificate"),
        ("<html><body>502 Bad Gateway</body></html>", "holds no PEM certificate"),
        (BUNDLE[: len(BUNDLE) // 2], "does not load as certificates"),
        (BUNDLE.replace("MII", "@@@", 1), "does not load as certificates"),
    ],
    ids=["empty", "error page", "cut off", "corrupted"],
)
def test_what_is_not_a_bundle_is_refused(tmp_path: Path, body: str, reason: str) -> None:
    destination = tmp_path / "global-bundle.pem"
    with pytest.raises(BundleError, match=reason):
        install(body, destination)
    assert not destination.exists()


def test_certificates_are_counted() -> None:
    first = BUNDLE[: BUNDLE.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    assert certificate_count(first[first.index("-----BEGIN") :]) == 1


def test_only_https_is_fetched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    destination = tmp_path / "global-bundle.pem"
    assert main(["http://truststore.example/global-bundle.pem", str(destination)]) == 1
    assert "only https URLs are fetched" in capsys.readouterr().err
    assert not destination.exists()
