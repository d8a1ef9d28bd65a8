"""How the suite is handed to pytest-xdist's workers (tests/conftest.py): files with a slow
test first, and never two tests under one node id, of which xdist would run only one."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import pytest_collection_modifyitems, shared_node_ids
from tests.stand_in import run_stand_in


@dataclass
class Item:
    nodeid: str
    markers: set[str] = field(default_factory=set)

    @property
    def path(self) -> Path:
        return Path(self.nodeid.split("::")[0])

    def get_closest_marker(self, name: str) -> str | None:
        return name if name in self.markers else None


def ordered(items: list[Item]) -> list[str]:
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    return [item.nodeid for item in items]


def test_files_with_a_slow_or_scanner_test_go_first_in_their_own_order() -> None:
    items = [
        Item("a.py::quick"),
        Item("b.py::quick"),
        Item("b.py::whole_job", {"slow"}),
        Item("c.py::checkov", {"scanner"}),
        Item("d.py::quick"),
    ]
    assert ordered(items) == ["b.py::quick", "b.py::whole_job", "c.py::checkov", "a.py::quick", "d.py::quick"]


def test_tests_sharing_a_node_id_stop_the_run_naming_them() -> None:
    items = [Item("t.py::a[x]"), Item("t.py::b"), Item("t.py::b"), Item("t.py::a[y]")]
    assert shared_node_ids(items) == ["t.py::b"]  # type: ignore[arg-type]
    with pytest.raises(pytest.UsageError, match=r"pytest-xdist runs only one of each: t\.py::b$"):
        ordered(items)
    assert ordered([Item("t.py::a[x]"), Item("t.py::a[y]")]) == ["t.py::a[x]", "t.py::a[y]"]


def test_the_workers_take_the_files_in_that_order(tmp_path: Path) -> None:
    """pytest-xdist would hand out the file with the most tests first; one worker shows the order."""
    files = {
        "conftest.py": (
            "from tests.conftest import pytest_collection_modifyitems, pytest_configure as configure\n"
            "def pytest_configure(config):\n"
            "    config.addinivalue_line('markers', 'slow: a whole job')\n"
            "    configure(config)\n"
        ),
        "test_many.py": "".join(f"def test_quick_{n}(): pass\n" for n in range(3)),
        "test_one.py": "import pytest\n@pytest.mark.slow\ndef test_whole_job(): pass\n",
    }
    result = run_stand_in(tmp_path, files, "-v")
    ran = [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("[gw0]") and "PASSED" in line]
    assert ran[:2] == ["test_one.py::test_whole_job", "test_many.py::test_quick_0"], result.stdout + result.stderr
