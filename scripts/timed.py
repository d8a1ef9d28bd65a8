"""One progress line per long step of `make`: run a command, then say what it did and how long it took.

    python3 scripts/timed.py "Python environment (uv sync --frozen)" uv sync --frozen --quiet

prints `==> Python environment (uv sync --frozen): 5.8 s`. The command's own output is
kept back and shown only when it fails (then with `failed after …` and its exit code, which
this script exits with): installers' warnings about this machine's settings would
otherwise bury the one line. Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: timed.py WHAT COMMAND [ARGUMENT…]", file=sys.stderr)
        return 2
    what, command = argv[0], argv[1:]
    start = time.monotonic()
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    except OSError as error:
        print(f"==> {what}: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        return 127
    took = time.monotonic() - start
    if result.returncode != 0:
        sys.stderr.buffer.write(result.stdout)
        print(f"==> {what}: failed after {took:.1f} s (exit {result.returncode})", file=sys.stderr)
        return result.returncode if result.returncode > 0 else 128 - result.returncode  # killed by a signal
    print(f"==> {what}: {took:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
