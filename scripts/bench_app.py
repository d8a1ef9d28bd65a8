"""Benchmark: the guestbook under load, while its database is down, and after it returns.

    make bench-app
    .venv/bin/python -m scripts.bench_app --json

Starts a throwaway PostgreSQL and the app (`python -m guestbook`, uvicorn, real sockets on
127.0.0.1) as `make run-app` does, then runs these phases with async httpx clients (one
keep-alive connection per worker):

  healthy         N requests at concurrency C, a fixed mix of GET /entries, POST /entries
                  and GET /healthz: requests per second, p50/p99/max latency, outcomes
  db stopped      PostgreSQL stopped (pg_ctl stop -m fast); the same load, while
                  /healthz and /readyz are probed every 0.5 s on a connection of their own
  db restarted    PostgreSQL started again: seconds until /readyz answers 200
  after recovery  the healthy load again
  200 MB POST     one streamed 200 MB POST /entries with Content-Length, one chunked:
                  status, and the app process's peak RSS (VmHWM, reset before each)

Bounded: every phase stops issuing requests at its count or its time cap; all phases
together at --max-requests, and the whole run (start-up included) at --time-cap seconds,
where requests still in flight are cancelled and counted as such. Only loopback
addresses are ever requested. Latency percentiles are nearest-rank over every completed
request of the phase, whatever its outcome. Client, app and PostgreSQL share the machine's
CPUs; the table shows what each of them used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import ipaddress
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from scripts.run_app import (
    LocalDatabase,
    LocalRunError,
    app_environment,
    interrupt_on_sigterm,
    local_database,
    start_app,
    stop_app,
    wait_ready,
)
from tests.app.postgres_server import free_port

GET_ENTRIES, POST_ENTRY, HEALTHZ = "GET /entries", "POST /entries", "GET /healthz"
# Six reads, three writes, one liveness probe in every ten requests.
MIX = (GET_ENTRIES,) * 6 + (POST_ENTRY,) * 3 + (HEALTHZ,)
MIB = 1024 * 1024
CHUNK = MIB
TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """The benchmark refuses to run or cannot go on; the message says why."""


def require_loopback(url: str) -> str:
    """`url` unchanged if it is plain HTTP to a loopback address (127.0.0.0/8, ::1, localhost)."""
    parsed = httpx.URL(url)
    host = parsed.host
    if parsed.scheme != "http":
        raise BenchError(f"refusing {url}: only plain http:// to a loopback address")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise BenchError(f"refusing {url}: the benchmark only sends requests to loopback addresses")
    return url


class LoopbackOnlyTransport(httpx.AsyncHTTPTransport):
    """Checks every request, redirects included, before it leaves the process."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        require_loopback(str(request.url))
        return await super().handle_async_request(request)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q % of the values at or below it."""
    if not values:
        raise ValueError("no values")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} outside (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@dataclass(frozen=True)
class Caps:
    requests: int = 2000  # per load phase
    concurrency: int = 20
    phase_seconds: float = 15  # a load phase stops issuing after this
    outage_seconds: float = 20  # the load while the database is down, likewise
    recovery_seconds: float = 30  # longest wait for /readyz after the restart
    request_timeout: float = 20  # longer than the app's own wait for a connection (15 s)
    big_mb: int = 200
    max_requests: int = 10_000  # all phases together
    time_cap: float = 90  # the whole run, start-up included

    def check(self) -> None:
        bounds = {
            "requests": (self.requests, 1, 10_000),
            "concurrency": (self.concurrency, 1, 200),
            "phase_seconds": (self.phase_seconds, 0.1, 120),
            "outage_seconds": (self.outage_seconds, 0.1, 120),
            "recovery_seconds": (self.recovery_seconds, 1, 120),
            "request_timeout": (self.request_timeout, 0.1, 120),
            "big_mb": (self.big_mb, 0, 1024),
            "max_requests": (self.max_requests, 1, 50_000),
            "time_cap": (self.time_cap, 5, 600),
        }
        for name, (value, low, high) in bounds.items():
            if not low <= value <= high:
                raise BenchError(f"{name}={value} outside the allowed {low}…{high}")


class Budget:
    """What the whole run may still spend: requests and wall time (monotonic clock)."""

    def __init__(self, max_requests: int, deadline: float) -> None:
        self.left = max_requests
        self.deadline = deadline
        self.spent = 0

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        self.spent += 1
        return True

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


@dataclass
class Sample:
    kind: str
    outcome: str  # the HTTP status, or the client error's class name
    seconds: float
    retry_after: str | None = None


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0
    not_sent: int = 0
    cancelled: int = 0  # in flight when the run's time cap struck


async def send(client: httpx.AsyncClient, kind: str, index: int) -> httpx.Response:
    if kind == GET_ENTRIES:
        return await client.get("/entries", params={"limit": 20})
    if kind == POST_ENTRY:
        return await client.post("/entries", json={"author": "bench", "message": f"entry {index}"})
    return await client.get("/healthz")


async def timed(client: httpx.AsyncClient, kind: str, index: int) -> Sample:
    started = time.perf_counter()
    try:
        response = await send(client, kind, index)
    except httpx.HTTPError as error:
        return Sample(kind, type(error).__name__, time.perf_counter() - started)
    return Sample(kind, str(response.status_code), time.perf_counter() - started, response.headers.get("retry-after"))


async def run_load(
    clients: Sequence[httpx.AsyncClient], count: int, phase_seconds: float, budget: Budget
) -> LoadResult:
    """`count` requests of the mix, one worker per client; none issued after `phase_seconds`
    or once the budget is spent; whatever is still in flight at the budget's deadline is cancelled."""
    result = LoadResult()
    started = time.monotonic()
    stop_issuing = min(started + phase_seconds, budget.deadline)
    issued = 0
    in_flight = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued, in_flight
        while issued < count and time.monotonic() < stop_issuing and budget.take():
            index = issued
            issued += 1
            in_flight += 1
            sample = await timed(client, MIX[index % len(MIX)], index)
            in_flight -= 1
            result.samples.append(sample)

    try:
        async with asyncio.timeout(budget.remaining()):
            await asyncio.gather(*(worker(client) for client in clients))
    except TimeoutError:
        result.cancelled = in_flight
    result.seconds = time.monotonic() - started
    result.not_sent = count - issued
    return result


def summarize(result: LoadResult) -> dict[str, Any]:
    latencies = [sample.seconds for sample in result.samples]
    outcomes = Counter(sample.outcome for sample in result.samples)
    summary: dict[str, Any] = {
        "completed": len(result.samples),
        "seconds": round(result.seconds, 3),
        "rps": round(len(result.samples) / result.seconds, 1) if result.seconds > 0 else None,
        "p50_ms": None,
        "p99_ms": None,
        "max_ms": None,
        "outcomes": dict(sorted(outcomes.items())),
        "not_sent": result.not_sent,
        "cancelled": result.cancelled,
        "retry_after": dict(Counter(s.retry_after for s in result.samples if s.retry_after is not None)),
    }
    if latencies:
        summary.update(
            p50_ms=round(percentile(latencies, 50) * 1000, 1),
            p99_ms=round(percentile(latencies, 99) * 1000, 1),
            max_ms=round(max(latencies) * 1000, 1),
        )
    by_kind: dict[str, Any] = {}
    for kind in sorted({sample.kind for sample in result.samples}):
        own = [sample for sample in result.samples if sample.kind == kind]
        seconds = [sample.seconds for sample in own]
        by_kind[kind] = {
            "completed": len(own),
            "p50_ms": round(percentile(seconds, 50) * 1000, 1),
            "p99_ms": round(percentile(seconds, 99) * 1000, 1),
            "outcomes": dict(sorted(Counter(sample.outcome for sample in own).items())),
        }
    summary["by_kind"] = by_kind
    return summary


async def probe_while(client: httpx.AsyncClient, load: asyncio.Task[Any], budget: Budget) -> dict[str, Any]:
    """GET /healthz and /readyz every 0.5 s, on the probe client's connection, until `load` is done."""
    probes: dict[str, LoadResult] = {"/healthz": LoadResult(), "/readyz": LoadResult()}
    started = time.monotonic()
    while not load.done() and budget.remaining() > 0:
        for path, result in probes.items():
            if not budget.take():
                break
            begun = time.perf_counter()
            try:
                response = await client.get(path)
                outcome = str(response.status_code)
            except httpx.HTTPError as error:
                outcome = type(error).__name__
            result.samples.append(Sample(f"GET {path}", outcome, time.perf_counter() - begun))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(load), timeout=0.5)
    for result in probes.values():
        result.seconds = time.monotonic() - started
    return {path: summarize(result) for path, result in probes.items()}


async def wait_for_ready(client: httpx.AsyncClient, limit: float, budget: Budget) -> dict[str, Any]:
    started = time.monotonic()
    polls = 0
    while time.monotonic() - started < limit and budget.take():
        polls += 1
        try:
            if (await client.get("/readyz")).status_code == 200:
                return {"ready": True, "seconds": round(time.monotonic() - started, 3), "polls": polls}
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    return {"ready": False, "seconds": round(time.monotonic() - started, 3), "polls": polls}


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in KiB, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Set VmHWM back to the current RSS (Linux 4.0+: `5` into clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def body_pieces(size: int) -> Iterator[bytes]:
    """A valid JSON entry of exactly `size` bytes whose message is far too long, in 1 MiB pieces."""
    head, tail = b'{"author": "bench", "message": "', b'"}'
    full, rest = divmod(max(0, size - len(head) - len(tail)), CHUNK)
    yield head
    block = b"x" * CHUNK
    for _ in range(full):
        yield block
    if rest:
        yield b"x" * rest
    yield tail


async def big_body(size: int, sent: list[int]) -> AsyncIterator[bytes]:
    """The body as an async stream; `sent[0]` counts the bytes handed to the client."""
    for piece in body_pieces(size):
        sent[0] += len(piece)
        yield piece


async def big_post(url: str, pid: int, size_mb: int, *, chunked: bool, timeout: float) -> dict[str, Any]:
    size = size_mb * MIB
    reset = reset_peak(pid)
    before = memory_kib(pid)
    sent = [0]
    headers = {"content-type": "application/json"}
    if not chunked:
        headers["content-length"] = str(size)  # httpx then sends the stream as is, without chunking
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=timeout, transport=LoopbackOnlyTransport()) as client:
        try:
            response = await client.post("/entries", content=big_body(size, sent), headers=headers)
            outcome = str(response.status_code)
        except httpx.HTTPError as error:
            outcome = type(error).__name__
    seconds = time.perf_counter() - started
    after = memory_kib(pid)
    return {
        "body": f"{size_mb} MiB, {'chunked' if chunked else 'Content-Length'}",
        "outcome": outcome,
        "seconds": round(seconds, 3),
        "sent_mib": round(sent[0] / MIB, 1),
        "peak_reset": reset,
        "rss_before_mib": round(before["VmRSS"] / 1024, 1),
        "peak_before_mib": round(before["VmHWM"] / 1024, 1),
        "peak_after_mib": round(after["VmHWM"] / 1024, 1),
        "rss_after_mib": round(after["VmRSS"] / 1024, 1),
    }


def load_client(url: str, caps: Caps) -> httpx.AsyncClient:
    """One keep-alive connection. Each worker has its own client: httpcore's pool spends CPU in
    proportion to its connections on every request, and the client shares the CPUs with the app."""
    return httpx.AsyncClient(
        base_url=require_loopback(url),
        timeout=caps.request_timeout,
        transport=LoopbackOnlyTransport(limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)),
    )


def fail_sniffio_import_fast() -> None:
    """httpcore 1.0 tries `import sniffio` on every lock it sets up; anyio ≥ 4.11 no longer
    installs sniffio, and a failed import is not cached, so it searches sys.path each time
    (encode/httpcore#1103). A None entry makes that import fail at once, with the same result."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def server_cpu_seconds(postmaster: int) -> float:
    """CPU seconds of PostgreSQL's live processes: the postmaster and its children (backends,
    workers). A backend that has exited no longer counts; the pool keeps its sessions open."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == postmaster or int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def postmaster_pid(database: LocalDatabase) -> int:
    return int((database.server.data / "postmaster.pid").read_text().split()[0])


async def phases(url: str, app_pid: int, database: LocalDatabase, caps: Caps, budget: Budget) -> dict[str, Any]:
    report: dict[str, Any] = {"phases": {}, "skipped": []}
    out = report["phases"]

    def over_cap(name: str) -> bool:
        if budget.remaining() <= 0 or budget.left <= 0:
            report["skipped"].append(name)
            return True
        return False

    async def load(clients: Sequence[httpx.AsyncClient], seconds: float, postmaster: int | None) -> dict[str, Any]:
        def cpu() -> tuple[float, float, float]:
            db = server_cpu_seconds(postmaster) if postmaster else 0.0
            return cpu_seconds(app_pid), db, time.process_time()

        before = cpu()
        result = await run_load(clients, caps.requests, seconds, budget)
        summary = summarize(result)
        if result.seconds > 0:
            used = [round(100 * (end - start) / result.seconds) for start, end in zip(before, cpu(), strict=True)]
            summary.update(app_cpu_pct=used[0], db_cpu_pct=used[1] if postmaster else None, client_cpu_pct=used[2])
        return summary

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(load_client(url, caps)) for _ in range(caps.concurrency)]
        probes = await stack.enter_async_context(load_client(url, caps))
        report["app_after_start_mib"] = round(memory_kib(app_pid)["VmRSS"] / 1024, 1)
        if over_cap("healthy"):
            return report
        out["healthy"] = await load(clients, caps.phase_seconds, postmaster_pid(database))

        if over_cap("db stopped"):
            return report
        began = time.monotonic()
        await asyncio.to_thread(database.server.stop)
        stop_seconds = time.monotonic() - began
        outage = asyncio.create_task(load(clients, caps.outage_seconds, None), name="outage load")
        try:
            during = await probe_while(probes, outage, budget)
            out["db stopped"] = {**await outage, "pg_stop_seconds": round(stop_seconds, 3), "probes": during}
        finally:  # back up whatever happens: the database is dropped on the way out
            outage.cancel()  # nothing if it has finished
            await asyncio.gather(outage, return_exceptions=True)
            began = time.monotonic()
            await asyncio.to_thread(database.server.start)
            start_seconds = time.monotonic() - began
        if over_cap("db restarted"):
            return report
        ready = await wait_for_ready(probes, min(caps.recovery_seconds, budget.remaining()), budget)
        out["db restarted"] = {"pg_start_seconds": round(start_seconds, 3), "readyz_200_after": ready}

        if over_cap("after recovery"):
            return report
        out["after recovery"] = await load(clients, caps.phase_seconds, postmaster_pid(database))
        report["app_after_load_mib"] = round(memory_kib(app_pid)["VmRSS"] / 1024, 1)

    if caps.big_mb:
        report["big_posts"] = []
        for chunked in (False, True):
            name = f"{caps.big_mb} MiB POST ({'chunked' if chunked else 'Content-Length'})"
            if over_cap(name) or not budget.take():
                break
            try:
                async with asyncio.timeout(budget.remaining()):
                    report["big_posts"].append(
                        await big_post(url, app_pid, caps.big_mb, chunked=chunked, timeout=caps.request_timeout)
                    )
            except TimeoutError:
                report["skipped"].append(f"{name}: cut at the time cap")
    return report


def run(caps: Caps) -> dict[str, Any]:
    caps.check()
    fail_sniffio_import_fast()
    started = time.monotonic()
    budget = Budget(caps.max_requests, started + caps.time_cap)
    with tempfile.TemporaryDirectory(prefix="guestbook-bench-") as workdir, local_database(Path(workdir)) as database:
        port = free_port()
        url = require_loopback(f"http://127.0.0.1:{port}")
        log_path = Path(workdir) / "app.log"
        with log_path.open("ab") as log:
            app = start_app(app_environment(database.credentials_dir, port), output=log)
        try:
            ready = _wait_ready(url, app, budget)
            report = asyncio.run(phases(url, app.pid, database, caps, budget))
        except Exception:
            sys.stderr.write(f"app log, last lines:\n{log_path.read_text(errors='replace')[-3000:]}\n")
            raise
        finally:
            stop_app(app)
        lines = log_path.read_text(errors="replace").splitlines()
    report.update(
        {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}",
            "postgresql": database.server.bin.parent.name,
            "mix": dict(Counter(MIX)),
            "caps": asdict(caps),
            "app_ready_seconds": round(ready, 3),
            "requests_sent": budget.spent,
            "wall_seconds": round(time.monotonic() - started, 1),
            "app_log_lines": len(lines),
        }
    )
    return report


def _wait_ready(url: str, app: subprocess.Popen[bytes], budget: Budget) -> float:
    try:
        return wait_ready(url, app, timeout=min(30.0, budget.remaining()))
    except LocalRunError as error:
        raise BenchError(str(error)) from None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _outcomes(outcomes: dict[str, int]) -> str:
    return " ".join(f"{key}×{value}" for key, value in outcomes.items()) or "-"


COLUMNS: tuple[tuple[str, int], ...] = (
    ("phase", 30),
    ("requests", 8),
    ("wall s", 7),
    ("rps", 6),
    ("p50 ms", 8),
    ("p99 ms", 8),
    ("max ms", 8),
    ("CPU app/db/bench", 16),
)


def _line(*cells: str, rest: str = "") -> str:
    (_, width), *others = COLUMNS
    text = f"{cells[0]:<{width}}" + "".join(f" {cell:>{w}}" for cell, (_, w) in zip(cells[1:], others, strict=True))
    return f"{text}  {rest}".rstrip()


def table(report: dict[str, Any]) -> str:
    header = _line(*(name for name, _ in COLUMNS), rest="outcomes")
    lines = [
        f"guestbook under load and outage, {report['when']}; {report['machine']}; PostgreSQL {report['postgresql']}",
        f"mix per 10 requests: {', '.join(f'{n} {kind}' for kind, n in report['mix'].items())}; "
        f"concurrency {report['caps']['concurrency']}; nearest-rank percentiles; CPU in % of one core",
        "",
        header,
        "-" * len(header),
    ]

    def row(name: str, summary: dict[str, Any], note: str = "") -> None:
        probe = name.startswith("  ")
        rps = "-" if summary.get("rps") is None or probe else f"{summary['rps']:.0f}"
        cpu = "-"
        if "app_cpu_pct" in summary:
            db = "-" if summary["db_cpu_pct"] is None else summary["db_cpu_pct"]
            cpu = f"{summary['app_cpu_pct']}/{db}/{summary['client_cpu_pct']}"
        lines.append(
            _line(
                name,
                str(summary["completed"]),
                f"{summary['seconds']:.2f}",
                rps,
                _ms(summary["p50_ms"]),
                _ms(summary["p99_ms"]),
                _ms(summary["max_ms"]),
                cpu,
                rest=_outcomes(summary["outcomes"]) + note,
            )
        )

    def load_notes(summary: dict[str, Any]) -> str:
        notes = []
        if summary["retry_after"]:
            notes.append("Retry-After " + _outcomes(summary["retry_after"]))
        if summary["not_sent"]:
            notes.append(f"{summary['not_sent']} not sent (cap)")
        if summary["cancelled"]:
            notes.append(f"{summary['cancelled']} cancelled at the time cap")
        return f"; {'; '.join(notes)}" if notes else ""

    phases_ = report["phases"]
    for name in ("healthy", "db stopped", "db restarted", "after recovery"):
        if name not in phases_:
            continue
        summary = phases_[name]
        if name == "db restarted":
            ready = summary["readyz_200_after"]
            verdict = f"/readyz 200 after {ready['seconds']:.2f} s" if ready["ready"] else "/readyz never 200"
            lines.append(
                _line(
                    name,
                    str(ready["polls"]),
                    f"{ready['seconds']:.2f}",
                    *("-",) * 5,
                    rest=f"{verdict} ({ready['polls']} polls; pg_ctl start took {summary['pg_start_seconds']:.2f} s)",
                )
            )
            continue
        row(name, summary, load_notes(summary))
        for path, probe in summary.get("probes", {}).items():
            row(f"  {path} during outage", probe)
    for big in report.get("big_posts", []):
        peak = f"app peak RSS {big['peak_before_mib']:.0f} → {big['peak_after_mib']:.0f} MiB"
        if not big["peak_reset"]:
            peak += " (peak not reset: since start)"
        lines.append(
            _line(
                f"POST {big['body']}",
                "1",
                f"{big['seconds']:.2f}",
                *("-",) * 4,
                "-",
                rest=f"{big['outcome']}; {peak}; {big['sent_mib']:.0f} MiB sent",
            )
        )
    lines.append("-" * len(header))
    caps = report["caps"]
    lines.append(
        f"{report['requests_sent']} requests in {report['wall_seconds']:.1f} s "
        f"(caps: {caps['max_requests']} requests, {caps['time_cap']:.0f} s; {caps['requests']} per phase, "
        f"phase {caps['phase_seconds']:.0f} s, outage {caps['outage_seconds']:.0f} s); "
        f"app RSS {report.get('app_after_start_mib', '-')} MiB after start, "
        f"{report.get('app_after_load_mib', '-')} MiB after the load"
    )
    if report["skipped"]:
        lines.append(f"skipped at a cap: {', '.join(report['skipped'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    defaults = Caps()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=defaults.requests, help="per load phase")
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--phase-seconds", type=float, default=defaults.phase_seconds)
    parser.add_argument("--outage-seconds", type=float, default=defaults.outage_seconds)
    parser.add_argument("--big-mb", type=int, default=defaults.big_mb, help="0 skips the big POSTs")
    parser.add_argument("--max-requests", type=int, default=defaults.max_requests, help="all phases together")
    parser.add_argument("--time-cap", type=float, default=defaults.time_cap, help="seconds for the whole run")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    caps = Caps(
        requests=args.requests,
        concurrency=args.concurrency,
        phase_seconds=args.phase_seconds,
        outage_seconds=args.outage_seconds,
        big_mb=args.big_mb,
        max_requests=args.max_requests,
        time_cap=args.time_cap,
    )
    interrupt_on_sigterm()
    try:
        report = run(caps)
    except KeyboardInterrupt:
        print("bench-app: interrupted; the app and PostgreSQL are stopped", file=sys.stderr)
        return 130
    except (BenchError, LocalRunError) as error:
        print(f"bench-app: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
