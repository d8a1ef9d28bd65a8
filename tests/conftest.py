"""The app is synthesized once per test session (per pytest-xdist worker); every stack test reads that output."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from stacks.config import Environment, load_environments
from tests import cpu_log
from tests.app.postgres_server import PostgresMissing, PostgresServer
from tests.helpers import Document

if TYPE_CHECKING:
    from render.cluster import RenderedCluster

ROOT = Path(__file__).resolve().parent.parent
# Every environment file: what holds for any environment is tested for each of them, so a
# new environment (make new-env) is covered without editing a test.
ENVIRONMENT_NAMES = sorted(path.stem for path in (ROOT / "environments").glob("*.yaml"))


def postgres_server(**options: Any) -> PostgresServer:
    """A throwaway server (not started); without PostgreSQL the test is skipped, or fails under CI."""
    try:
        return PostgresServer(**options)
    except PostgresMissing as missing:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(str(missing))


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist's --dist=loadfile hands out the files with the most tests first unless
    told to keep the collection's order, which is the one below. With TEST_CPU_LOG set, each
    test's CPU time is logged (tests/cpu_log.py)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    cpu_log.register(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a slow test first, each file's order kept: `make test` hands whole files
    to its workers in this order (--dist=loadfile; pytest_configure above keeps it), so the
    longest start at once and the workers finish together instead of one waiting for the
    other's last long test."""
    if shared := shared_node_ids(items):
        raise pytest.UsageError(f"tests share a node id, and pytest-xdist runs only one of each: {', '.join(shared)}")
    slow = {item.path for item in items if item.get_closest_marker("slow") or item.get_closest_marker("scanner")}
    items.sort(key=lambda item: item.path not in slow)


def shared_node_ids(items: list[pytest.Item]) -> list[str]:
    """Node ids held by more than one test (pytest 9.2 gives Schemathesis's generated tests one)."""
    counts = Counter(item.nodeid for item in items)
    return sorted(nodeid for nodeid, count in counts.items() if count > 1)


@pytest.fixture(scope="session")
def environments() -> dict[str, Environment]:
    return {env.name: env for env in load_environments(ROOT / "environments")}


@pytest.fixture(scope="session")
def synth_dir(environments: dict[str, Environment], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from stacks.app import build_app  # imported here so config-only test runs stay fast

    outdir = tmp_path_factory.mktemp("cdktf.out")
    build_app(list(environments.values()), outdir=str(outdir)).synth()
    yield outdir


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, Document]:
    from stacks.summary import stack_documents

    return stack_documents(synth_dir)


@pytest.fixture(scope="session")
def rendered_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rendered")


@pytest.fixture(scope="session")
def clusters(environments: dict[str, Environment], synth_dir: Path, rendered_dir: Path) -> dict[str, RenderedCluster]:
    from render.run import render_environments

    return render_environments(ROOT, list(environments.values()), synth_dir, rendered_dir)
