"""The real Flux CLI as a second opinion on the offline render.

`flux build kustomization --dry-run` runs Flux's own kustomize generator and post-build
substitution on this checkout. Built for every Flux Kustomization of every rendered
environment, with the bridge values the render used, it must make exactly the objects
the render attributes to that Kustomization (the `# from <source>` line of each file in
rendered/<env>/); objects the render has from a HelmRelease or a platform release are
not Flux's to build and are left out.

    prepare  (main job, which has cdktf.out and the project's dependencies) writes one
             input Kustomization per build and an index, builds.json. In dry-run the CLI
             reads no ConfigMap (substituteFrom is skipped: fluxcd/pkg kustomize
             SubstituteVariables), so the bridge values go into `postBuild.substitute`.
    build    runs `flux build kustomization` for every build of the index, strictly.
    compare  reports each object or field where the CLI and the render differ, one line each.

This module is the command line (`python -m render.flux_build_check <step>`, as the
pull-request workflow runs it); each step is its own module: render/flux_build_prepare.py,
render/flux_build_run.py and render/flux_build_compare.py, with the index
(render/flux_build_index.py) and the rendered files (render/flux_build_rendered.py) they
share. Only the standard library and PyYAML are imported at module level throughout:
`build` and `compare` run without the project's dependencies.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from render.flux_build_compare import compare
from render.flux_build_index import INDEX, Build, read_index
from render.flux_build_prepare import plan_builds, prepare
from render.flux_build_rendered import applier, read_rendered
from render.flux_build_run import run_builds

__all__ = ["INDEX", "Build", "applier", "compare", "main", "plan_builds", "prepare", "read_rendered", "run_builds"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m render.flux_build_check", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "build", "compare"):
        command = commands.add_parser(name)
        command.add_argument("--builds", type=Path, default=Path("flux-build"), help="inputs, index and outputs")
        command.add_argument("--rendered", type=Path, default=Path("rendered"))
        command.add_argument("--repo", type=Path, default=Path())
    commands.choices["prepare"].add_argument("--synth", type=Path, default=Path("cdktf.out"))
    commands.choices["build"].add_argument("--flux", default="flux", help="the flux CLI")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        problems = prepare(args.repo, args.rendered, args.synth, args.builds)
        done = f"prepared {len(read_index(args.builds)) if not problems else 0} flux builds in {args.builds}"
    elif args.command == "build":
        problems = run_builds(args.builds, args.repo, args.flux)
        done = f"flux built {len(read_index(args.builds))} Kustomizations"
    else:
        problems = compare(args.builds, args.rendered)
        done = f"flux build and the render agree on {len(read_index(args.builds))} Kustomizations"
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found ({args.command}).", file=sys.stderr)
        return 1
    print(done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
