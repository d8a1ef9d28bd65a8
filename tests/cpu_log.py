"""Each test's CPU time, appended to the file TEST_CPU_LOG names, for `make bench-newcomer`'s
account of where the CPU of a `make test` goes. Registered by tests/conftest.py only when
the variable is set; otherwise nothing is measured or written.

A test's CPU time is that of its process and of the processes it waited for, user and
system, fixtures included: a session fixture counts in the first test of its worker that
uses it. One JSON line a test, written at once, so pytest-xdist's workers can share the file.
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Generator
from pathlib import Path

import pytest

SETTING = "TEST_CPU_LOG"


def cpu_seconds() -> float:
    own, waited = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


class CpuLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        before = cpu_seconds()
        try:
            return (yield)
        finally:
            record = {"file": item.nodeid.split("::")[0], "test": item.nodeid, "cpu": cpu_seconds() - before}
            with self.path.open("a") as log:
                log.write(json.dumps(record) + "\n")


def register(config: pytest.Config) -> None:
    path = os.environ.get(SETTING)
    if not path:
        return
    config.pluginmanager.register(CpuLog(Path(path)), "cpu-log")
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        # This process runs the tests (an xdist controller passes the setting on to its workers):
        # a pytest that a test starts must not log its own tests as this run's.
        del os.environ[SETTING]
