"""Where the tests find the policy scanners, however they are started (`make test`, plain
`pytest`, one test from an editor): the one place that knows.

Each scanner is `$<NAME>` when that variable is set (CHECKOV=/opt/checkov/bin/checkov),
else `.venv-scanners/bin/<name>` of this checkout, where `make scanners` installs it
(policy/scanners/uv.lock). A missing scanner fails the test that needs it with one line
naming that command: a policy check that cannot run is never skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCANNERS = ROOT / ".venv-scanners" / "bin"
INSTALL = "make scanners"


def scanner(name: str) -> Path:
    """The executable of scanner `name` (checkov, hadolint, zizmor); fails the test if there is none."""
    variable = name.upper()
    configured = os.environ.get(variable)
    path = Path(configured) if configured else SCANNERS / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    if configured:
        pytest.fail(
            f"{name}: {variable}={configured} is no executable; unset {variable} to use `{INSTALL}`'s", pytrace=False
        )
    pytest.fail(f"{name} is not installed ({path} is missing): run `{INSTALL}`", pytrace=False)
