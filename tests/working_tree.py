"""This checkout's working tree copied as it is: what a user has before running a command."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from render import memo
from tests.conftest import ROOT


def copy_working_tree(target: Path) -> Path:
    """Every file Git tracks or would add (new, not ignored), as it is now, copied into `target`;
    generated trees (cdktf.out, rendered) and virtualenvs stay behind, as Git ignores them."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is not there
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def copy_caches(project: Path) -> Path:
    """This checkout's bytecode of each module `project` has, and its render memo (.cache/render),
    copied in, as a user's checkout has both from earlier runs. Neither changes what a run does:
    Python recompiles a module whose source's time or size is not the one its bytecode records,
    and the memo is keyed by every input. Without them each run in a fresh copy spends seconds
    recompiling and re-rendering charts. Only finished files are copied, never a writer's temporary one."""
    for source in project.rglob("*.py"):
        compiled = importlib.util.cache_from_source(str(ROOT / source.relative_to(project)))
        _copy_if_there(Path(compiled), Path(importlib.util.cache_from_source(str(source))))
    memo_dir = project / memo.MEMO_DIR.relative_to(memo.ROOT)
    for answer in memo.MEMO_DIR.rglob("*.json"):  # nothing when there is no memo yet
        _copy_if_there(answer, memo_dir / answer.relative_to(memo.MEMO_DIR))
    return project


def _copy_if_there(source: Path, target: Path) -> None:
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
