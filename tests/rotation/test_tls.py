"""TLS to the database is always verified (chain and name), and the CA bundle is checked before use."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rotation import handler, tls
from rotation.database import Server, logs_in
from rotation.tls import BundleError
from tests.rotation.certificates import SERVER_NAME, Authority
from tests.rotation.conftest import MASTER, MASTER_PASSWORD, Database, Environment
from tests.rotation.secrets_manager import SecretsManager


def _server_for(database: Database, bundle: Path, host: str = SERVER_NAME) -> Server:
    return Server(host, database.server.port, database.name, tls.database_context(bundle))


def test_the_server_is_verified_against_the_bundle(database: Database) -> None:
    assert logs_in(_server_for(database, database.ca_bundle), MASTER, MASTER_PASSWORD)


def test_a_server_certificate_from_another_ca_is_refused(database: Database, tmp_path: Path) -> None:
    other = Authority.create("another CA").write(tmp_path / "other.pem")
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        logs_in(_server_for(database, other), MASTER, MASTER_PASSWORD)


def test_a_server_whose_certificate_names_another_host_is_refused(database: Database) -> None:
    """The certificate names localhost only; 127.0.0.1 is the same server under another name."""
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
        logs_in(_server_for(database, database.ca_bundle, host="127.0.0.1"), MASTER, MASTER_PASSWORD)


def test_a_rotation_against_an_unverified_server_changes_nothing(
    database: Database, secrets_manager: SecretsManager, environment: Environment, tmp_path: Path
) -> None:
    other = Authority.create("another CA").write(tmp_path / "other.pem")
    rotation = handler.cold_start(environment(CA_BUNDLE=str(other)), secrets_manager.client)
    token = secrets_manager.begin()
    secrets_manager.step(rotation, "createSecret", token)
    with pytest.raises(ssl.SSLCertVerificationError):
        secrets_manager.step(rotation, "setSecret", token)
    with database.admin() as admin:
        assert admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (database.base,)).fetchall() == []


def test_a_server_that_declines_tls_is_not_spoken_to_in_clear(ca_bundle: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def decline() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(8)  # the SSLRequest
                connection.sendall(b"N")

        thread = threading.Thread(target=decline)
        thread.start()
        server = Server("localhost", listener.getsockname()[1], "app", tls.database_context(ca_bundle))
        with pytest.raises(Exception, match="Server refuses SSL"):
            logs_in(server, MASTER, MASTER_PASSWORD)
        thread.join()


def test_the_context_checks_chain_and_name_with_tls_1_2_at_least(ca_bundle: Path) -> None:
    context = tls.database_context(ca_bundle)
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert len(context.get_ca_certs()) == 1  # the bundle only, no system CAs


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot be read"),
        ("<html>502 Bad Gateway</html>", "holds no PEM certificate"),
        ("cut", "does not load as certificates"),
    ],
    ids=["missing", "not PEM", "cut off"],
)
def test_a_bundle_file_that_is_not_a_bundle_stops_the_cold_start(
    secrets_manager: SecretsManager,
    environment: Environment,
    authority: Authority,
    tmp_path: Path,
    content: str | None,
    reason: str,
) -> None:
    bundle = tmp_path / "bundle.pem"
    if content == "cut":
        pem = authority.pem.decode()
        bundle.write_text(pem[: len(pem) // 2])
    elif content is not None:
        bundle.write_text(content)
    with pytest.raises(BundleError, match=f"CA bundle {bundle} {reason}"):
        handler.cold_start(environment(CA_BUNDLE=str(bundle)), secrets_manager.client)


Route = tuple[int, dict[str, str], bytes]  # status, headers, body


@dataclass
class Web:
    """An HTTPS server for `localhost` answering `routes`, and a client context that trusts it."""

    url: str
    trust: ssl.SSLContext
    routes: dict[str, Route]


@pytest.fixture
def web(authority: Authority, tmp_path: Path) -> Iterator[Web]:
    files = authority.issue(SERVER_NAME)
    (tmp_path / "web.crt").write_bytes(files.certificate)
    (tmp_path / "web.key").write_bytes(files.key)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(tmp_path / "web.crt", tmp_path / "web.key")
    routes: dict[str, Route] = {}

    class Routes(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = routes.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Routes)
    httpd.socket = serving.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    trust = ssl.create_default_context(cafile=str(authority.write(tmp_path / "trust.pem")))
    yield Web(f"https://{SERVER_NAME}:{httpd.server_address[1]}/global-bundle.pem", trust, routes)
    httpd.shutdown()
    httpd.server_close()


def test_a_downloaded_bundle_is_checked_then_written(web: Web, authority: Authority, tmp_path: Path) -> None:
    web.routes["/global-bundle.pem"] = (200, {}, authority.pem)
    destination = tmp_path / "cache.pem"
    assert tls.bundle_file(web.url, cache=destination, trust=web.trust) == destination
    assert destination.read_bytes() == authority.pem


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ((200, {}, b"<html>captive portal</html>"), "holds no PEM certificate"),
        ((500, {}, b""), "could not be downloaded: HTTP Error 500"),
        ((200, {}, b"\xff" * 10), "is not ASCII text"),
        ((302, {"Location": "http://localhost:9/global-bundle.pem"}, b""), "redirected to http://localhost:9/"),
    ],
    ids=["error page", "server error", "binary", "redirect to http"],
)
def test_a_download_that_is_not_a_bundle_is_refused(web: Web, tmp_path: Path, route: Route, reason: str) -> None:
    web.routes["/global-bundle.pem"] = route
    destination = tmp_path / "cache.pem"
    with pytest.raises(BundleError, match=reason):
        tls.bundle_file(web.url, cache=destination, trust=web.trust)
    assert not destination.exists()


def test_a_download_from_an_untrusted_server_is_refused(web: Web, authority: Authority, tmp_path: Path) -> None:
    web.routes["/global-bundle.pem"] = (200, {}, authority.pem)
    with pytest.raises(BundleError, match="CERTIFICATE_VERIFY_FAILED"):
        tls.bundle_file(web.url, cache=tmp_path / "cache.pem")  # the system CAs do not know the test CA


def test_only_https_is_downloaded(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="only https URLs are fetched"):
        tls.download("http://truststore.example/global-bundle.pem", tmp_path / "cache.pem")
