#!/usr/bin/env python3
"""The CDKTF app: every environment in environments/ (or those in $ENVIRONMENTS) → stacks.

Configuration is validated before any provider binding is imported, so a mistake in an
environment file is reported in well under a second, with nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from stacks.config import ConfigError, load_environments, selected_names

PROJECT_ROOT = Path(__file__).resolve().parent
ENVIRONMENTS_DIR = PROJECT_ROOT / "environments"


def main() -> int:
    try:
        environments = load_environments(ENVIRONMENTS_DIR, selected_names())
    except ConfigError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        print(f"{len(error.lines)} problem(s) found; nothing was synthesized.", file=sys.stderr)
        return 2

    from stacks.app import build_app  # the provider bindings load only from here on
    from stacks.summary import summarize

    app = build_app(environments)
    app.synth()
    print(summarize(Path(app.outdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
