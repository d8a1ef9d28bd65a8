#!/usr/bin/env python3
"""Benchmark: the README's two commands on a fresh clone, against the newcomer's targets.

Clones this checkout's HEAD (committed files only) into a temporary folder and runs there,
as someone who has just cloned the repository would, `make synth` and then `make test`.
Prints each one's wall time, the CPU time of the processes it ran (user + system) and its
target: on a 2-core machine, a command can at best take half its CPU time. After `make
test`, where that CPU time went: the test files that took the most (tests/cpu_log.py logs
each test's), and what was spent outside any test (lint, start-up, collection).

The machine's package caches (uv's, npm's, the shared Renovate install) are used as they
are, so the figures are those of a machine that has installed the project once before;
the upstream artifacts are read from where this checkout reads them (UPSTREAM_CACHE).

    make bench-newcomer
    python -m scripts.bench_newcomer --keep    # keep the clone and the commands' logs

Exit status: 0 when every command meets its target, 1 when one misses it, 2 when one fails.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from render.upstream_cache import SETTING, upstream_cache_dir
from tests.cpu_log import SETTING as CPU_LOG_SETTING

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Step:
    command: tuple[str, ...]
    target_seconds: float


# The targets of the newcomer's first ten minutes (issue 13), in the README's order.
STEPS = (Step(("make", "synth"), 45.0), Step(("make", "test"), 150.0))
# The caller's settings that would make the clone's run unlike a newcomer's.
# (MAKEFLAGS and the rest: `make bench-newcomer`'s own, its job server among them.)
NOT_PASSED_ON = (
    *("ENVIRONMENTS", "CDKTF_OUTDIR", "PYTEST_ADDOPTS", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"),
    *("MAKEFLAGS", "MFLAGS", "MAKELEVEL"),
)
TAIL = 20  # lines of a failed command's output shown
TOP_FILES = 10  # test files named in the account of a command's CPU time


@dataclass(frozen=True)
class Measured:
    step: Step
    wall: float
    cpu: float
    status: int

    @property
    def shown(self) -> str:
        return " ".join(self.step.command)

    @property
    def missed(self) -> bool:
        return self.wall > self.step.target_seconds


def clone(root: Path, into: Path) -> str:
    """`root`'s HEAD cloned into `into`, with `root`'s neighbour `shared/` linked beside it as
    CI has it; returns the commit. Uncommitted changes stay behind."""
    commit = git(root, "rev-parse", "--short", "HEAD")
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(root), str(into)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    if (shared := root.parent / "shared").is_dir():
        (into.parent / "shared").symlink_to(shared.resolve())
    return commit


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def clone_environment(caller: Mapping[str, str], upstream: Path) -> dict[str, str]:
    env = {key: value for key, value in caller.items() if key not in NOT_PASSED_ON}
    return {**env, SETTING: str(upstream)}


def run(step: Step, project: Path, env: Mapping[str, str], log: Path, cpu_log: Path) -> Measured:
    """One command in the clone, its output to `log` and its tests' CPU times to `cpu_log`;
    its CPU time is that of the processes it waited for."""
    before = _children_cpu()
    started = time.perf_counter()
    with log.open("w") as output:
        status = subprocess.run(
            step.command,
            cwd=project,
            env={**env, CPU_LOG_SETTING: str(cpu_log)},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    return Measured(step, time.perf_counter() - started, _children_cpu() - before, status)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def line(measured: Measured, cores: int) -> str:
    """Wall time against the target, then the CPU time and the least wall time it allows on these cores."""
    verdict = "MISSED" if measured.missed else "met"
    return (
        f"{measured.shown:<10} {_duration(measured.wall):>12}  target {_duration(measured.step.target_seconds):>12}"
        f"  {verdict:<6}  {measured.cpu:4.0f} CPU-s, at best {_duration(measured.cpu / cores)} on {cores} cores"
    )


def cpu_account(cpu_log: Path, total: float, top: int = TOP_FILES) -> list[str]:
    """The test files that took the most of a command's `total` CPU seconds, the rest of the
    files, and what no test took; nothing when the command ran no test."""
    if not cpu_log.is_file():
        return []
    per_file: Counter[str] = Counter()
    for text in cpu_log.read_text().splitlines():
        record = json.loads(text)
        per_file[record["file"]] += record["cpu"]
    named = per_file.most_common(top)
    rest = per_file.total() - sum(cpu for _, cpu in named)
    lines = [f"  where its CPU time went ({len(per_file)} test files, fixtures counted where first used):"]
    lines += [f"  {cpu:6.0f} CPU-s  {name}" for name, cpu in named]
    if len(per_file) > len(named):
        lines.append(f"  {rest:6.0f} CPU-s  the other {len(per_file) - len(named)} test files")
    lines.append(f"  {total - per_file.total():6.0f} CPU-s  in no test: lint, start-up, collection")
    return lines


def _duration(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:4.1f} s" if minutes else f"{rest:.1f} s"


def bench(root: Path, steps: Sequence[Step], workdir: Path, env: Mapping[str, str]) -> int:
    project = workdir / root.name
    commit = clone(root, project)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"fresh clone of {commit} in {project}; {cores} cores", flush=True)
    results = []
    for number, step in enumerate(steps, start=1):
        log = workdir / f"{number}-{'-'.join(step.command)}.log"
        cpu_log = log.with_suffix(".cpu.jsonl")
        print(f"{' '.join(step.command)} …", flush=True)
        measured = run(step, project, env, log, cpu_log)
        if measured.status != 0:
            print("\n".join(log.read_text(errors="replace").splitlines()[-TAIL:]), file=sys.stderr)
            print(f"{measured.shown} failed (exit {measured.status}); its output: {log}", file=sys.stderr)
            return 2
        results.append(measured)
        print("\n".join([line(measured, cores), *cpu_account(cpu_log, measured.cpu)]), flush=True)
    return 1 if any(measured.missed for measured in results) else 0


def main(argv: Sequence[str] | None = None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the clone and the logs (their folder is printed)")
    keep = parser.parse_args(argv).keep
    workdir = Path(tempfile.mkdtemp(prefix="bench-newcomer-"))
    try:
        if git(root, "status", "--porcelain", "--untracked-files=no"):
            print("note: the working tree has uncommitted changes; the clone has HEAD without them", flush=True)
        return bench(root, STEPS, workdir, clone_environment(os.environ, upstream_cache_dir()))
    except subprocess.CalledProcessError as error:
        print(
            f"bench-newcomer: {' '.join(map(str, error.cmd))} failed: {(error.stderr or '').strip()}", file=sys.stderr
        )
        return 2
    finally:
        if keep:
            print(f"kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
