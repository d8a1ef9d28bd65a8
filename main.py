#!/usr/bin/env python3
"""The main job: every environment in environments/ (or those in $ENVIRONMENTS) →
synthesized stacks in cdktf.out/, each cluster as Flux would apply it → rendered/, and
the system check across both (system/). Outputs of environments not selected (left by an
earlier run) are removed, so cdktf.out/ and rendered/ hold only what this run produced.

Configuration is validated before any provider binding is imported, so a mistake in an
environment file is reported in well under a second, with nothing written. Under the
cdktf CLI (which sets CDKTF_OUTDIR) only the stacks are synthesized.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from stacks.config import ConfigError, load_environments, selected_names
from stacks.display import shown

PROJECT_ROOT = Path(__file__).resolve().parent
ENVIRONMENTS_DIR = PROJECT_ROOT / "environments"
RENDERED_DIR = PROJECT_ROOT / "rendered"


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
    # cdktf rewrites manifest.json with the stacks of this run but leaves other stacks' folders.
    synthesized = json.loads((Path(app.outdir) / "manifest.json").read_text())["stacks"]
    remove_unselected(Path(app.outdir) / "stacks", keep=synthesized)
    if os.environ.get("CDKTF_OUTDIR"):
        return 0

    from render.errors import RenderError
    from render.run import render_environments, write_clusters
    from render.run import summarize as summarize_clusters
    from stacks.summary import stack_documents
    from system.check import check_system

    try:
        rendered = render_environments(PROJECT_ROOT, environments, Path(app.outdir), None)
    except RenderError as error:
        for line in error.problems:
            print(line, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) found; no cluster was written.", file=sys.stderr)
        return 2
    report = check_system(
        repo=PROJECT_ROOT,
        environments=environments,
        stacks=stack_documents(Path(app.outdir)),
        clusters=rendered,
        synth_dir=Path(app.outdir),
    )
    for line in report.violations:
        print(line, file=sys.stderr)
    if report.violations:
        print(f"{report.summary()}; no cluster was written.", file=sys.stderr)
        return 2
    write_clusters(rendered, RENDERED_DIR)
    print(summarize_clusters(rendered, RENDERED_DIR))
    remove_unselected(RENDERED_DIR, keep=rendered)
    print(report.summary())
    return 0


def remove_unselected(folder: Path, *, keep: Iterable[str]) -> None:
    """Remove every entry of the generated `folder` but `keep`, and say which. Hidden ones
    are a writer's staging (render/output.py), left alone."""
    kept = set(keep)
    found = folder.iterdir() if folder.is_dir() else ()
    removed = sorted(p.name for p in found if p.name not in kept and not p.name.startswith("."))
    for name in removed:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if removed:
        print(f"Removed from {shown(folder)} (not in this selection): {', '.join(removed)}")


if __name__ == "__main__":
    sys.exit(main())
