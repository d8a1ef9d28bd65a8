"""scripts/bench_newcomer.py on a stand-in project: what is cloned, what reaches the clone's
commands, and how a missed target and a failed command are reported."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts.bench_newcomer import STEPS, TAIL, Step, bench, clone_environment, cpu_account, main
from tests.test_readme import first_screen_commands

# Each recipe checks one thing a newcomer's clone must (not) have, and says which it is.
MAKEFILE = """\
synth:
\t@test ! -e untracked.txt || { echo "an untracked file was cloned"; exit 1; }
\t@grep -qx committed tracked.txt || { echo "an uncommitted change was cloned"; exit 1; }
\t@test -d ../shared || { echo "no shared/ beside the clone"; exit 1; }
\t@test -z "$$ENVIRONMENTS$$PYTEST_ADDOPTS" || { echo "the caller's selection reached the clone"; exit 1; }
\t@test "$$UPSTREAM_CACHE" = "$$EXPECTED_UPSTREAM" || { echo "UPSTREAM_CACHE=$$UPSTREAM_CACHE"; exit 1; }
\t@case "$$MAKEFLAGS" in *j2*) echo "the caller's make flags reached the clone"; exit 1;; esac
test:
\t@echo '{"file": "tests/test_a.py", "test": "tests/test_a.py::test_one", "cpu": 0.0}' >> "$$TEST_CPU_LOG"
\t@for n in $$(seq 1 30); do echo "output line $$n"; done; exit $${FAIL:-0}
after:
\t@touch ../after-ran
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "checkout" / "project"
    root.mkdir(parents=True)
    (tmp_path / "checkout" / "shared").mkdir()
    (root / "Makefile").write_text(MAKEFILE)
    (root / "tracked.txt").write_text("committed\n")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "--quiet"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "stand-in"], check=True)
    (root / "tracked.txt").write_text("changed, not committed\n")
    (root / "untracked.txt").write_text("")
    return root


def steps(synth_target: float = 600.0) -> list[Step]:
    return [Step(("make", "synth"), synth_target), Step(("make", "test"), 600.0), Step(("make", "after"), 600.0)]


def caller(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The caller's environment as `make bench-newcomer` would see it, with settings the clone must not get."""
    env = {"PATH": "/usr/bin:/bin", "ENVIRONMENTS": "dev", "PYTEST_ADDOPTS": "-x", "MAKEFLAGS": "-j2", **extra}
    return {**clone_environment(env, tmp_path / "upstream"), "EXPECTED_UPSTREAM": str(tmp_path / "upstream")}


def test_the_clone_has_head_alone_and_a_newcomers_settings_and_each_command_meets_its_target(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "bench"
    workdir.mkdir()
    assert bench(project, steps(), workdir, caller(tmp_path)) == 0, capsys.readouterr()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("fresh clone of ") and f"in {workdir / 'project'};" in lines[0]
    results = [line.split() for line in lines if "target" in line]
    assert [(r[0], r[1]) for r in results] == [("make", "synth"), ("make", "test"), ("make", "after")]
    assert all("met" in r and "MISSED" not in r and "CPU-s," in r for r in results)
    # Only the command that ran tests is followed by where its CPU time went.
    accounts = [
        lines[n - 1].split()[:2] for n, line in enumerate(lines) if line.startswith("  where its CPU time went")
    ]
    assert accounts == [["make", "test"]]


def test_the_cpu_account_names_the_costliest_files_then_the_rest_then_what_no_test_took(tmp_path: Path) -> None:
    log = tmp_path / "cpu.jsonl"
    records = [
        ("tests/a.py", 30.0),
        ("tests/b.py", 50.0),
        ("tests/a.py", 40.0),
        ("tests/c.py", 5.0),
        ("tests/d.py", 4.0),
    ]
    log.write_text(
        "".join(
            f'{{"file": "{name}", "test": "{name}::t{n}", "cpu": {cpu}}}\n' for n, (name, cpu) in enumerate(records)
        )
    )
    assert cpu_account(log, total=150.0, top=2) == [
        "  where its CPU time went (4 test files, fixtures counted where first used):",
        "      70 CPU-s  tests/a.py",
        "      50 CPU-s  tests/b.py",
        "       9 CPU-s  the other 2 test files",
        "      21 CPU-s  in no test: lint, start-up, collection",
    ]
    assert cpu_account(log, total=150.0, top=4)[-2:] == [
        "       4 CPU-s  tests/d.py",
        "      21 CPU-s  in no test: lint, start-up, collection",
    ]
    assert cpu_account(tmp_path / "none.jsonl", total=150.0) == []


def test_a_command_over_its_target_is_marked_and_the_run_exits_1(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "bench"
    workdir.mkdir()
    assert bench(project, steps(synth_target=0.0), workdir, caller(tmp_path)) == 1
    [synth] = [
        line for line in capsys.readouterr().out.splitlines() if line.startswith("make synth ") and "target" in line
    ]
    assert "MISSED" in synth.split()


def test_a_failed_command_shows_its_last_lines_stops_the_run_and_exits_2(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workdir = tmp_path / "bench"
    workdir.mkdir()
    assert bench(project, steps(), workdir, caller(tmp_path, FAIL="3")) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == TAIL + 1 and "output line 30" in errors and "output line 1" not in errors
    assert errors[-1].startswith("make test failed (exit 2); its output: ")
    assert Path(errors[-1].rsplit(": ", 1)[1]).read_text().startswith("output line 1\n")
    assert not (workdir / "after-ran").exists()


def test_a_folder_that_is_no_clone_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], root=tmp_path) == 2
    captured = capsys.readouterr()
    [error] = captured.err.splitlines()
    assert error.startswith(f"bench-newcomer: git -C {tmp_path} status") and "not a git repository" in error
    assert not captured.out


def test_it_times_the_commands_of_the_readmes_first_screen() -> None:
    assert [" ".join(step.command) for step in STEPS] == first_screen_commands()
