"""Results of slow, pure render steps kept on disk, keyed by everything they depend on.

Finding the values a chart ignores renders the chart once per supplied value (seconds
per environment); its answer depends only on the chart archive, the values, the release
and the Kubernetes version, so a later run with the same inputs reads it back. The files
live in `<repo>/.cache/render/` (ignored by Git); `make clean` removes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEMO_DIR = ROOT / ".cache" / "render"
FORMAT = 1  # bump when a memoized step changes what it computes


def remembered(step: str, inputs: Any, compute: Callable[[], list[str]], *, archive: Path) -> list[str]:
    """`compute()`, or its earlier answer for the same `inputs` and chart `archive` (bytes, not name)."""
    digest = hashlib.sha256(archive.read_bytes())
    digest.update(json.dumps([FORMAT, step, inputs], sort_keys=True, default=str).encode())
    path = MEMO_DIR / step / f"{digest.hexdigest()}.json"
    try:
        return [str(line) for line in json.loads(path.read_text())]
    except (OSError, ValueError):
        pass
    answer = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as file:
            json.dump(answer, file)
        Path(temporary).replace(path)
    except OSError:
        pass  # a read-only checkout only loses the speed-up
    return answer
