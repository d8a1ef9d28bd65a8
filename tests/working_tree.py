"""This checkout's working tree copied as it is: what a user has before running a command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
