"""A remembered answer is reused only for the same chart archive and inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from render import memo
from render.memo import remembered


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(memo, "MEMO_DIR", tmp_path / "memo")
    path = tmp_path / "chart-1.0.0.tgz"
    path.write_bytes(b"chart")
    return path


def test_the_same_inputs_are_computed_once(archive: Path) -> None:
    calls: list[int] = []

    def compute() -> list[str]:
        calls.append(1)
        return ["values.a changes nothing"]

    assert remembered("step", {"a": 1}, compute, archive=archive) == ["values.a changes nothing"]
    assert remembered("step", {"a": 1}, compute, archive=archive) == ["values.a changes nothing"]
    assert len(calls) == 1


def test_other_values_or_another_archive_are_computed_again(archive: Path) -> None:
    answers = iter([["first"], ["second"], ["third"]])
    assert remembered("step", {"a": 1}, lambda: next(answers), archive=archive) == ["first"]
    assert remembered("step", {"a": 2}, lambda: next(answers), archive=archive) == ["second"]
    archive.write_bytes(b"chart, rebuilt under the same name")
    assert remembered("step", {"a": 1}, lambda: next(answers), archive=archive) == ["third"]


def test_an_unwritable_memo_only_loses_the_speed_up(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = archive.parent / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(memo, "MEMO_DIR", blocker)
    assert remembered("step", {}, lambda: ["answer"], archive=archive) == ["answer"]
