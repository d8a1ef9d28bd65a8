#!/usr/bin/env python3
"""Benchmark: whole-app synth with lazy provider imports vs the normal import path.

Runs `python main.py` (every environment, every stack) in fresh processes, alternating
fast and normal so that machine noise falls on both alike, and prints the median wall
time and median peak memory of each, and their ratios. Peak memory is the largest sum
of resident memory over the whole process tree (Python plus the Node.js jsii kernel),
sampled every 20 ms.

    make bench                      # 5 rounds of each
    python scripts/bench_synth.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages * PAGE
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_once(full_import: bool, outdir: Path) -> tuple[float, int]:
    env = {**os.environ, "CDKTF_OUTDIR": str(outdir), "FULL_PROVIDER_IMPORT": "1" if full_import else "0"}
    env.pop("ENVIRONMENTS", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        errors = process.stderr.read().decode() if process.stderr else ""
        sys.exit(f"synth failed ({'normal' if full_import else 'fast'} import): {errors[-2000:]}")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each mode (default 5)")
    rounds = parser.parse_args().rounds
    results: dict[str, list[tuple[float, int]]] = {"fast": [], "normal": []}
    with tempfile.TemporaryDirectory() as scratch:
        for round_number in range(1, rounds + 1):
            for mode in ("fast", "normal") if round_number % 2 else ("normal", "fast"):
                elapsed, peak = run_once(mode == "normal", Path(scratch) / mode)
                results[mode].append((elapsed, peak))
                print(f"round {round_number} {mode:<6} {elapsed:6.2f} s  {peak / 2**20:7.0f} MiB", flush=True)
    medians = {
        mode: (statistics.median(t for t, _ in runs), statistics.median(float(m) for _, m in runs))
        for mode, runs in results.items()
    }
    print(f"\nmedian of {rounds} runs, {os.cpu_count()} cores, whole app (every environment, every stack):")
    for mode, (median_time, median_rss) in medians.items():
        print(f"  {mode:<6} import  {median_time:6.2f} s  {median_rss / 2**20:7.0f} MiB peak RSS")
    (fast_t, fast_m), (normal_t, normal_m) = medians["fast"], medians["normal"]
    print(f"  speed-up {normal_t / fast_t:.1f}×   memory {fast_m / normal_m:.0%} of the normal path")


if __name__ == "__main__":
    main()
