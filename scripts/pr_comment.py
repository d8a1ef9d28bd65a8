"""Build the pull request's one sticky comment: what each stack's plan would change in
AWS, and how each rendered cluster differs between the base and the head revision.

    python -m scripts.pr_comment --plans plans/ --base-rendered base/ --head-rendered rendered/ > comment.md

`plans/` holds `<stack>.json` files from `terraform show -json <planfile>`; the rendered
trees are what `make synth` writes (one directory per cluster, one file per object),
or a revision of a Git repository (`--base-rev`, for tests and local use).
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "<!-- platform-pr-comment -->"
MAX_DIFF_LINES = 400  # GitHub comments hold 65,536 characters


@dataclass
class PlanSummary:
    stack: str
    add: int = 0
    change: int = 0
    destroy: int = 0
    destroyed: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        if not (self.add or self.change or self.destroy):
            return f"| `{self.stack}` | no changes | |"
        lost = "<br>".join(f"`{address}`" for address in self.destroyed)
        return f"| `{self.stack}` | {self.add} to add, {self.change} to change, {self.destroy} to destroy | {lost} |"


def summarize_plan(stack: str, plan: Mapping[str, Any]) -> PlanSummary:
    """Count changes the way `terraform plan` does: a replacement is one add and one destroy."""
    summary = PlanSummary(stack)
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if "create" in actions and "delete" in actions:
            summary.add += 1
            summary.destroy += 1
            summary.destroyed.append(f"{change['address']} (replaced)")
        elif actions == ["create"]:
            summary.add += 1
        elif actions == ["update"]:
            summary.change += 1
        elif actions == ["delete"]:
            summary.destroy += 1
            summary.destroyed.append(change["address"])
    return summary


def tree_from_directory(root: Path) -> dict[str, str]:
    return {str(path.relative_to(root)): path.read_text() for path in sorted(root.rglob("*.yaml"))}


def tree_from_git(repository: Path, revision: str, directory: str) -> dict[str, str]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=True).stdout

    names = git("ls-tree", "-r", "--name-only", revision, "--", directory).splitlines()
    prefix = directory.rstrip("/") + "/"
    return {name.removeprefix(prefix): git("show", f"{revision}:{name}") for name in names if name.endswith(".yaml")}


def diff_trees(base: Mapping[str, str], head: Mapping[str, str]) -> list[str]:
    """A unified diff of two rendered trees, object file by object file."""
    lines: list[str] = []
    for name in sorted(set(base) | set(head)):
        before, after = base.get(name), head.get(name)
        if before == after:
            continue
        label = "added" if before is None else "removed" if after is None else "changed"
        lines.append(f"# {label}: {name}")
        lines.extend(
            line.rstrip("\n")
            for line in difflib.unified_diff(
                (before or "").splitlines(keepends=True),
                (after or "").splitlines(keepends=True),
                fromfile=f"base/{name}",
                tofile=f"head/{name}",
                n=2,
            )
        )
    return lines


def build_comment(plans: list[PlanSummary], cluster_diffs: Mapping[str, list[str]], notice: str = "") -> str:
    parts = [MARKER, "## Platform changes", ""]
    if notice:
        parts += [f"> {notice}", ""]
    if plans:
        parts += ["### Terraform plans", "", "| stack | plan | destroyed or replaced |", "|---|---|---|"]
        parts += [plan.line for plan in plans]
        parts.append("")
    parts += ["### Rendered clusters", ""]
    for cluster, diff in cluster_diffs.items():
        if not diff:
            parts += [f"**{cluster}**: no change to the rendered objects.", ""]
            continue
        changed = sum(1 for line in diff if line.startswith("# "))
        shown = diff[:MAX_DIFF_LINES]
        more = f"\n… {len(diff) - len(shown)} more lines" if len(diff) > len(shown) else ""
        parts += [
            f"<details><summary><b>{cluster}</b>: {changed} object(s) differ</summary>",
            "",
            "```diff",
            *shown,
            "```" + more,
            "</details>",
            "",
        ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=Path, help="directory of <stack>.json plans")
    parser.add_argument("--base-rendered", type=Path, help="rendered clusters of the base revision")
    parser.add_argument("--head-rendered", type=Path, required=True, help="rendered clusters of the head revision")
    parser.add_argument("--notice", default="", help="a line shown on top (e.g. why plans are missing)")
    args = parser.parse_args(argv)
    plans = []
    if args.plans and args.plans.is_dir():
        plans = [summarize_plan(path.stem, json.loads(path.read_text())) for path in sorted(args.plans.glob("*.json"))]
    diffs = {}
    for cluster in sorted(p.name for p in args.head_rendered.iterdir() if p.is_dir()):
        base_dir = args.base_rendered / cluster if args.base_rendered else None
        base = tree_from_directory(base_dir) if base_dir and base_dir.is_dir() else {}
        diffs[cluster] = diff_trees(base, tree_from_directory(args.head_rendered / cluster))
    sys.stdout.write(build_comment(plans, diffs, args.notice) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
