"""tests/cpu_log.py through tests/conftest.py, in a pytest-xdist worker as under `make test`:
each test's CPU time is logged, with what it waited for, and a pytest a test starts logs nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.stand_in import run_stand_in

BURN = 0.3  # CPU seconds a child process of one stand-in test spends

STAND_IN = {
    "conftest.py": "from tests.conftest import pytest_configure\n",
    "test_busy.py": (
        "import subprocess, sys\n"
        "def test_waits_for_a_busy_child():\n"
        f"    burn = 'import time\\nend = time.process_time() + {BURN}\\nwhile time.process_time() < end: pass'\n"
        "    subprocess.run([sys.executable, '-c', burn], check=True)\n"
    ),
    "test_quiet.py": (
        "import os\ndef test_what_it_starts_is_not_logged():\n    assert 'TEST_CPU_LOG' not in os.environ\n"
    ),
}


def test_each_test_is_logged_once_with_the_cpu_of_what_it_waited_for(tmp_path: Path) -> None:
    log = tmp_path / "cpu.jsonl"
    result = run_stand_in(tmp_path, STAND_IN, "-q", TEST_CPU_LOG=str(log))
    assert result.returncode == 0, result.stdout + result.stderr
    records = {record["test"]: record for record in map(json.loads, log.read_text().splitlines())}
    busy, quiet = "test_busy.py::test_waits_for_a_busy_child", "test_quiet.py::test_what_it_starts_is_not_logged"
    assert sorted(records) == [busy, quiet]
    assert records[busy]["file"] == "test_busy.py"
    assert records[busy]["cpu"] >= BURN > records[quiet]["cpu"]
