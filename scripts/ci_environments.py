"""`python -m scripts.ci_environments`: what the workflows run (the logic: stacks/ci_environments.py)."""

from __future__ import annotations

import sys

from stacks.ci_environments import main

if __name__ == "__main__":
    sys.exit(main())
