"""`make diff`: what the pull request comment would show for the working tree, printed.

    python -m scripts.local_diff [--base <git ref>]     # default: the merge base with main

The base revision is rendered by its own code: checked out with `git worktree add
--detach` into a temporary folder, its main job run there with this checkout's Python
(.venv), Node.js (node_modules, linked in), render memo (.cache/render, linked in) and
upstream cache (UPSTREAM_CACHE), so nothing is downloaded and no chart rendered twice.
The head is the working tree as it is now, uncommitted and untracked files included: its
main job runs here, as `make synth` does, and so refreshes cdktf.out/ and rendered/. The
two run side by side; ENVIRONMENTS narrows both. Then the same code as the pull request's
comment (pr_comment.comment) prints the rendered-cluster diff and, with no AWS
credentials for plans, the synthesized stacks compared by address.

The worktree is removed afterwards, on failure and on Ctrl-C too. Exit codes: 0 printed,
1 the base or the working tree cannot be rendered (why, on stderr), 2 a bad BASE.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from render.upstream_cache import SETTING, upstream_cache_dir
from scripts.pr_comment import comment

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BRANCHES = ("main", "origin/main")
SHOWN_ERROR_LINES = 30  # of a failed main job's stderr


class Usage(Exception):
    """A BASE that names no commit: one line, exit code 2."""


@dataclass(frozen=True)
class Base:
    commit: str
    label: str  # how the user named it


@dataclass(frozen=True)
class Job:
    name: str
    folder: Path
    returncode: int
    stderr: str
    seconds: float


def git(*args: str, repo: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)


def resolve_base(ref: str | None, repo: Path = REPO) -> Base:
    """The commit BASE names, or the merge base of HEAD with main (origin/main without a local main)."""
    if ref:
        found = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", repo=repo)
        if found.returncode != 0:
            raise Usage(f"BASE={ref} names no commit in {repo} (give a branch, tag or commit, e.g. BASE=origin/main)")
        return Base(found.stdout.strip(), f"BASE={ref}")
    for branch in DEFAULT_BRANCHES:
        if git("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}", repo=repo).returncode == 0:
            merge_base = git("merge-base", "HEAD", branch, repo=repo)
            if merge_base.returncode != 0:
                raise Usage(f"HEAD and {branch} have no merge base; name the base with BASE=<git ref>")
            return Base(merge_base.stdout.strip(), f"the merge base with {branch}")
    raise Usage(f"no branch {' or '.join(DEFAULT_BRANCHES)} to take the merge base with; set BASE=<git ref>")


# Linked from this checkout into the base worktree: Node.js, and the render memo (.cache/render,
# render/memo.py), whose entries are keyed by every input and a format number, so a base
# revision reads them as this checkout does after `git checkout` of that revision.
LINKED = ("node_modules", ".cache/render")


@contextlib.contextmanager
def worktree(commit: str, folder: Path, repo: Path = REPO) -> Iterator[Path]:
    """`commit` checked out at `folder` (detached) with this checkout's LINKED folders linked in."""
    added = git("worktree", "add", "--detach", str(folder), commit, repo=repo)
    if added.returncode != 0:
        raise RuntimeError(f"git worktree add {commit[:12]} failed: {added.stderr.strip()}")
    links: list[Path] = []
    try:
        for name in LINKED:
            link = folder / name
            if (repo / name).is_dir() and not (link.exists() or link.is_symlink()):
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(repo / name, target_is_directory=True)
                links.append(link)
        yield folder
    finally:
        for link in links:  # the links first, so nothing below can reach this checkout's folders
            link.unlink(missing_ok=True)
        if git("worktree", "remove", "--force", str(folder), repo=repo).returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            git("worktree", "prune", repo=repo)


def run_main_jobs(folders: dict[str, Path], logs: Path) -> dict[str, Job]:
    """Each folder's main job (`python main.py`), side by side, until all succeed or one
    fails (the others are then stopped: there is nothing to compare)."""
    environment = {key: value for key, value in os.environ.items() if key != "CDKTF_OUTDIR"}
    # Both read the same charts and CRDs, so a difference is a difference of the revisions.
    environment[SETTING] = str(upstream_cache_dir())
    started = time.monotonic()
    running: dict[str, subprocess.Popen[bytes]] = {}
    jobs: dict[str, Job] = {}
    try:
        for name, folder in folders.items():
            with (logs / f"{name}.err").open("wb") as stderr:
                running[name] = subprocess.Popen(
                    [sys.executable, "main.py"], cwd=folder, env=environment, stdout=subprocess.DEVNULL, stderr=stderr
                )
        while len(jobs) < len(running):
            for name, process in running.items():
                if name not in jobs and process.poll() is not None:
                    text = (logs / f"{name}.err").read_text(errors="replace")
                    jobs[name] = Job(name, folders[name], process.returncode, text, time.monotonic() - started)
                    if process.returncode != 0:
                        return jobs
            time.sleep(0.2)
        return jobs
    finally:
        for process in running.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def failure(job: Job, what: str) -> str:
    lines = job.stderr.rstrip("\n").splitlines()
    shown = lines[-SHOWN_ERROR_LINES:]
    cut = [f"  … {len(lines) - len(shown)} earlier lines"] if len(lines) > len(shown) else []
    why = f"make diff: {what} cannot be rendered: its main job (python main.py) exited with {job.returncode}"
    return "\n".join([*cut, *(f"  {line}" for line in shown), why + (", see above" if lines else "")])


def local_diff(ref: str | None) -> int:
    try:
        base = resolve_base(ref)
    except Usage as error:
        print(f"make diff: {error}", file=sys.stderr)
        return 2
    print(
        f"make diff: base {base.commit[:12]} ({base.label}) against the working tree; rendering both…",
        file=sys.stderr,
    )
    with (
        tempfile.TemporaryDirectory(prefix="make-diff-") as temporary,
        worktree(base.commit, Path(temporary) / "base") as base_folder,
    ):
        jobs = run_main_jobs({"base": base_folder, "head": REPO}, Path(temporary))
        what = {"base": f"the base revision {base.commit[:12]} ({base.label})", "head": "the working tree"}
        for job in jobs.values():
            if job.returncode != 0:
                print(failure(job, what[job.name]), file=sys.stderr)
                return 1
        markdown = comment(
            plans=None,
            base_rendered=base_folder / "rendered",
            head_rendered=REPO / "rendered",
            base_synth=base_folder / "cdktf.out",
            head_synth=REPO / "cdktf.out",
            notice=f"`make diff`: the working tree against {base.commit[:12]} ({base.label}).",
        )
    print(f"make diff: rendered in {max(job.seconds for job in jobs.values()):.0f} s", file=sys.stderr)
    sys.stdout.write(markdown + "\n")
    return 0


def _terminated(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="a Git ref (default: the merge base with main)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)  # so the worktree is removed as on Ctrl-C
    try:
        return local_diff(args.base)
    except KeyboardInterrupt:
        print("make diff: interrupted (the temporary worktree is removed)", file=sys.stderr)
        return 130
    except RuntimeError as error:
        print(f"make diff: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
