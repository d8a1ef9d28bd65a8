"""The app's Prometheus metrics on their own port, against a real PostgreSQL: requests by
route template and status, their durations, the pool, credential reloads; bounded label
values; answers while the database is down. Every scrape is parsed by prometheus_client's
own parser, as the collector would read it."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from guestbook.metrics import DURATION_BUCKETS, Metrics
from guestbook.openapi import DOCUMENT
from guestbook.settings import Settings, SettingsError
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from stacks.config import Environment
from stacks.constructs.observability.metrics import METRICS
from tests.app.conftest import RunningApp, launch, serving
from tests.app.local_database import APP_ROLE, CLONE_ROLE, Credentials, set_password
from tests.app.postgres_server import PostgresServer

REQUESTS = "guestbook_http_requests_total"
DURATION = "guestbook_http_request_duration_seconds"
RELOADS = "guestbook_database_credential_reloads_total"
ROUTES = {"/entries", "/healthz", "/readyz", "/openapi.json", "unmatched"}
SCRAPE_BOUND = 1.0  # a scrape's answer time with the database down


@dataclass(frozen=True)
class Scrape:
    """One scrape of /metrics, as prometheus_client's parser reads it."""

    types: dict[str, str]  # family name -> type
    samples: list[Sample]

    @classmethod
    def of(cls, text: str) -> Scrape:
        families = list(text_string_to_metric_families(text))
        return cls({f.name: f.type for f in families}, [s for f in families for s in f.samples])

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 if there is none (a series not yet created)."""
        found = [s.value for s in self.samples if s.name == name and s.labels == labels]
        assert len(found) <= 1, found
        return found[0] if found else 0.0

    def series(self, name: str) -> list[dict[str, str]]:
        return [s.labels for s in self.samples if s.name == name]


def scrape(app: RunningApp) -> Scrape:
    response = httpx.get(app.metrics_url, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape.of(response.text)


def increase(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after.value(name, **labels) - before.value(name, **labels)


def test_requests_are_counted_by_route_template_method_and_status(shared_app: RunningApp) -> None:
    before = scrape(shared_app)
    with shared_app.client() as client:
        for _ in range(3):
            assert client.get("/entries").status_code == 200
        assert client.post("/entries", json={"author": "m", "message": "counted"}).status_code == 201
        assert client.post("/entries", json={"author": ""}).status_code == 400
        assert client.get("/entries", params={"limit": 0}).status_code == 400
        assert client.delete("/entries").status_code == 405
        assert client.get("/healthz").status_code == 200
    after = scrape(shared_app)
    assert after.types[REQUESTS.removesuffix("_total")] == "counter"
    assert {
        (route, method, status): increase(before, after, REQUESTS, route=route, method=method, status=status)
        for route, method, status in [
            ("/entries", "GET", "200"),
            ("/entries", "POST", "201"),
            ("/entries", "POST", "400"),
            ("/entries", "GET", "400"),
            ("/entries", "DELETE", "405"),
            ("/healthz", "GET", "200"),
        ]
    } == {
        ("/entries", "GET", "200"): 3,
        ("/entries", "POST", "201"): 1,
        ("/entries", "POST", "400"): 1,
        ("/entries", "GET", "400"): 1,
        ("/entries", "DELETE", "405"): 1,
        ("/healthz", "GET", "200"): 1,
    }
    assert {frozenset(labels) for labels in after.series(REQUESTS)} == {frozenset({"route", "method", "status"})}


def test_durations_are_a_histogram_with_the_slos_bound_and_the_database_wait_as_edges(
    shared_app: RunningApp, environments: dict[str, Environment]
) -> None:
    """The latency alert compares p99 with each environment's SLO, and a request that waited
    out DATABASE_WAIT_SECONDS is told from a slower one: each is a bucket edge."""
    before = scrape(shared_app)
    with shared_app.client() as client:
        for _ in range(5):
            assert client.get("/entries").status_code == 200
    after = scrape(shared_app)
    assert after.types[DURATION] == "histogram"
    labels = {"route": "/entries", "method": "GET"}
    assert increase(before, after, f"{DURATION}_count", **labels) == 5
    assert increase(before, after, f"{DURATION}_sum", **labels) > 0
    buckets = [
        (s.labels["le"], s.value)
        for s in after.samples
        if s.name == f"{DURATION}_bucket" and s.labels.items() >= labels.items()
    ]
    assert [le for le, _ in buckets] == [*(str(edge) for edge in DURATION_BUCKETS), "+Inf"]
    counts = [count for _, count in buckets]
    assert counts == sorted(counts), "buckets are cumulative"
    assert counts[-1] == after.value(f"{DURATION}_count", **labels)
    slos = {env.observability.slo.latency_p99_seconds for env in environments.values()}
    assert slos | {Settings.database_wait_seconds} <= set(DURATION_BUCKETS)


def test_every_series_the_alert_rules_read_is_exposed(shared_app: RunningApp) -> None:
    with shared_app.client() as client:
        assert client.get("/entries").status_code == 200
    exposed = {s.name for s in scrape(shared_app).samples}
    assert {name for name, producer in METRICS.items() if producer.job == "guestbook"} <= exposed


def test_paths_no_route_knows_share_one_unmatched_series(shared_app: RunningApp) -> None:
    """A client inventing paths (or methods) cannot create series: 50 random paths are one."""
    invented = [f"/{uuid.uuid4().hex}/{n}" for n in range(50)]
    before = scrape(shared_app)
    with shared_app.client() as client:
        for path in invented:
            assert client.get(path).status_code == 404
        assert client.request("PROPFIND", invented[0]).status_code == 404
    after = scrape(shared_app)
    assert increase(before, after, REQUESTS, route="unmatched", method="GET", status="404") == 50
    assert increase(before, after, REQUESTS, route="unmatched", method="other", status="404") == 1
    assert increase(before, after, f"{DURATION}_count", route="unmatched", method="GET") == 50
    new = {tuple(sorted(s.items())) for s in after.series(REQUESTS)} - {
        tuple(sorted(s.items())) for s in before.series(REQUESTS)
    }
    assert len(new) <= 2, new
    assert {labels["route"] for labels in after.series(REQUESTS)} <= ROUTES
    assert {labels["route"] for labels in after.series(f"{DURATION}_count")} <= ROUTES
    assert not any(path.split("/")[1] in str(s.labels) for s in after.samples for path in invented)


def test_the_pool_gauges_describe_the_pool(shared_app: RunningApp) -> None:
    with shared_app.client() as client:
        assert client.get("/entries").status_code == 200
    after = scrape(shared_app)
    names = ["size", "available", "max", "requests_waiting"]
    assert {after.types[f"guestbook_database_pool_{name}"] for name in names} == {"gauge"}
    size, available, most, waiting = (after.value(f"guestbook_database_pool_{name}") for name in names)
    assert most == 10  # DATABASE_POOL_MAX's default
    assert 1 <= size <= most
    assert 0 <= available <= size
    assert waiting == 0


def test_the_metrics_are_not_served_on_the_apps_port(shared_app: RunningApp) -> None:
    """The ALB reaches the API's port only; /metrics is not there, nor in the API's description."""
    response = httpx.get(f"{shared_app.url}/metrics", timeout=5)
    assert response.status_code == 404
    assert "/metrics" not in DOCUMENT["paths"]
    assert scrape(shared_app).value(RELOADS) == 0


def end_sessions(postgres: PostgresServer, dbname: str) -> None:
    """An operator ending the app's sessions: the pool replaces them with logins from the files."""
    with postgres.admin() as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = 'guestbook'",
            (dbname,),
        )


def reloads_reach(app: RunningApp, expected: float, timeout: float = 15) -> float:
    """Requests until the reload counter is `expected`; what it was last."""
    deadline = time.monotonic() + timeout
    seen = scrape(app).value(RELOADS)
    with app.client() as client:
        while seen != expected and time.monotonic() < deadline:
            client.get("/entries")
            time.sleep(0.1)
            seen = scrape(app).value(RELOADS)
    return seen


def test_a_rotated_login_is_counted_once_per_switch(
    database: Credentials, postgres: PostgresServer, tmp_path: Path
) -> None:
    """The alternating users: to the clone, then back to the base role; each switch is one
    reload, however many connections then log in with the same files."""
    dbname = database.read("dbname")
    with serving(database, tmp_path / "app.log") as app:
        assert reloads_reach(app, 0) == 0
        for number, (username, password) in enumerate(
            [(CLONE_ROLE, "clone-password"), (APP_ROLE, "second-password")], start=1
        ):
            set_password(postgres, dbname, username, password)
            database.write(username=username, password=password)
            end_sessions(postgres, dbname)
            assert reloads_reach(app, number) == number
        end_sessions(postgres, dbname)  # new connections, the same login: no reload
        with app.client() as client:
            # A request may find the ended sessions first and wait out DATABASE_WAIT_SECONDS.
            deadline = time.monotonic() + 15
            while client.get("/entries").status_code != 200:
                assert time.monotonic() < deadline, "no answer from a new connection"
        assert scrape(app).value(RELOADS) == 2
        changes = [r["username"] for r in app.log_records() if r["message"] == "database login changed"]
        assert changes == [CLONE_ROLE, APP_ROLE]


def scrape_for(url: str, seconds: float) -> list[tuple[float, int]]:
    """The collector, impatiently: scrape after scrape for `seconds`. In a process of its own,
    so that the load's client threads do not delay its measurements by holding the GIL."""
    scrapes = []
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            started = time.monotonic()
            status = client.get(url).status_code
            scrapes.append((time.monotonic() - started, status))
            time.sleep(0.05)
    return scrapes


def test_the_metrics_answer_within_a_second_while_the_database_is_down(
    app: RunningApp, postgres: PostgresServer
) -> None:
    """20 clients (more than the pool's 10 connections) keep /entries busy with the database
    stopped: every scrape still answers within SCRAPE_BOUND, and counts every 503."""
    statuses: list[int] = []
    stop = threading.Event()

    def load() -> None:
        with app.client(timeout=10) as client:
            while not stop.is_set():
                statuses.append(client.get("/entries").status_code)

    postgres.stop()
    try:
        clients = [threading.Thread(target=load) for _ in range(20)]
        for thread in clients:
            thread.start()
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as collector:
                scrapes = collector.submit(scrape_for, app.metrics_url, 3.0).result()
        finally:
            stop.set()
            for thread in clients:
                thread.join()
        after = scrape(app)
    finally:
        postgres.start()
    assert len(scrapes) >= 5, "too few scrapes to tell"
    slow = [round(seconds, 2) for seconds, _ in scrapes if seconds > SCRAPE_BOUND]
    assert not slow, f"scrapes slower than {SCRAPE_BOUND}s: {slow}"
    assert {status for _, status in scrapes} == {200}
    assert set(statuses) == {503}
    assert after.value(REQUESTS, route="/entries", method="GET", status="503") == len(statuses)
    assert after.value("guestbook_database_pool_available") == 0


def test_a_taken_metrics_port_stops_the_app_with_its_reason(database: Credentials, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = launch(database, tmp_path / "app.log", METRICS_PORT=str(port))
        assert app.process.wait(timeout=30) == 2
    [record] = [r for r in app.log_records() if r["message"] == "cannot start"]
    assert record["reason"] == f"METRICS_PORT {port}: Address already in use"


def test_the_metrics_port_is_9090_unless_set_and_never_the_apps() -> None:
    assert Settings.from_environment({"DATABASE_SSLMODE": "disable"}).metrics_port == 9090
    assert Settings.from_environment({"DATABASE_SSLMODE": "disable", "METRICS_PORT": "9100"}).metrics_port == 9100
    with pytest.raises(SettingsError, match="METRICS_PORT must differ from LISTEN_PORT, both are 8080"):
        Settings.from_environment({"DATABASE_SSLMODE": "disable", "METRICS_PORT": "8080"})
    with pytest.raises(SettingsError, match="METRICS_PORT must be a port number from 1 to 65535, got 70000"):
        Settings.from_environment({"DATABASE_SSLMODE": "disable", "METRICS_PORT": "70000"})


def test_a_reload_is_a_login_under_another_name_than_the_previous_one() -> None:
    metrics = Metrics()
    for username in ["guestbook", "guestbook", "guestbook_clone", "guestbook_clone", "guestbook"]:
        metrics.note_login(username)
    assert metrics.registry.get_sample_value(RELOADS) == 2


class FakePool:
    def __init__(self) -> None:
        self.stats = {"pool_min": 1, "pool_max": 4, "pool_size": 1, "pool_available": 1, "requests_waiting": 0}

    def get_stats(self) -> dict[str, int]:
        return dict(self.stats)


def test_the_pool_gauges_are_read_at_each_scrape() -> None:
    metrics, pool = Metrics(), FakePool()
    metrics.watch_pool(pool)
    assert metrics.registry.get_sample_value("guestbook_database_pool_requests_waiting") == 0
    pool.stats |= {"pool_size": 4, "pool_available": 0, "requests_waiting": 3}
    assert [
        metrics.registry.get_sample_value(f"guestbook_database_pool_{name}")
        for name in ("size", "available", "max", "requests_waiting")
    ] == [4, 0, 4, 3]
