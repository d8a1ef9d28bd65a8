"""Build the pull request's one sticky comment: what each stack's plan would change in
AWS, and how each rendered cluster differs between the base and the head revision.

    python -m scripts.pr_comment --plans plans/ --base-rendered base/ --head-rendered rendered/
        [--base-synth base-synth/ --head-synth cdktf.out/] > comment.md

`plans/` holds `<stack>.json` files from `terraform show -json <planfile>`; the rendered
trees are what `make synth` writes (one directory per cluster, one file per object),
or a revision of a Git repository (`tree_from_git`, for tests). Without plans (no AWS
credentials: a fork's pull request, `make diff`), the two synthesized apps (`cdktf.out/`
of base and head) are compared instead, stack by stack and address by address
(stack_diff.py). `make diff` (local_diff.py) builds its output with `comment()` below.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.stack_diff import SynthDiff, compare, read_synth

MARKER = "<!-- platform-pr-comment -->"
MAX_DIFF_LINES = 400  # GitHub comments hold 65,536 characters
# Charts make their webhooks' certificates with Helm's genCA/genSignedCert at every render
# (and the cluster gets yet others at install), so PEM data differs between any two renders
# of the same revision, and it is key material besides: it is neither compared nor shown.
PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)
PEM_BASE64 = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}")  # base64 of "-----BEGIN"
PEM_SHOWN = "(PEM data, made at render: not compared)"


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
        before, after = _without_pem(base.get(name)), _without_pem(head.get(name))
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


def _without_pem(text: str | None) -> str | None:
    return None if text is None else PEM_BASE64.sub(PEM_SHOWN, PEM.sub(PEM_SHOWN, text))


def build_comment(
    plans: list[PlanSummary], cluster_diffs: Mapping[str, list[str]], notice: str = "", stacks: SynthDiff | None = None
) -> str:
    """The comment: the plans when there are any, else the synthesized stacks compared
    (when given), then each cluster's rendered diff."""
    parts = [MARKER, "## Platform changes", ""]
    if notice:
        parts += [f"> {notice}", ""]
    if plans:
        parts += ["### Terraform plans", "", "| stack | plan | destroyed or replaced |", "|---|---|---|"]
        parts += [plan.line for plan in plans]
        parts.append("")
    elif stacks is not None:
        parts += _synthesized_stacks(stacks)
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


def _synthesized_stacks(stacks: SynthDiff) -> list[str]:
    parts = [
        "### Synthesized stacks",
        "",
        "No plans: each stack's synthesized JSON compared by Terraform address (what Terraform "
        "is asked to manage, not what it would change in AWS).",
        "",
    ]
    if not stacks.differ:
        return [*parts, "No stack differs.", ""]
    parts += ["| stack | difference | addresses (+ added, - removed, ~ changed: its attributes) |", "|---|---|---|"]
    parts += [stack.line for stack in stacks.differ]
    if stacks.unchanged:
        count = len(stacks.unchanged)
        parts += ["", f"No difference in the other {count} stack{'s' if count != 1 else ''}."]
    return [*parts, ""]


def read_plans(directory: Path | None) -> list[PlanSummary]:
    if directory is None or not directory.is_dir():
        return []
    return [summarize_plan(path.stem, json.loads(path.read_text())) for path in sorted(directory.glob("*.json"))]


def rendered_diffs(base: Path | None, head: Path) -> dict[str, list[str]]:
    """Each cluster's diff, for every cluster in either tree (hidden folders are a writer's staging)."""

    def clusters(root: Path | None) -> set[str]:
        if root is None or not root.is_dir():
            return set()
        return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}

    return {
        cluster: diff_trees(
            tree_from_directory(base / cluster) if base and cluster in clusters(base) else {},
            tree_from_directory(head / cluster) if cluster in clusters(head) else {},
        )
        for cluster in sorted(clusters(base) | clusters(head))
    }


def comment(
    *,
    plans: Path | None,
    base_rendered: Path | None,
    head_rendered: Path,
    base_synth: Path | None = None,
    head_synth: Path | None = None,
    notice: str = "",
) -> str:
    """The comment from folders: what the workflow's comment job and `make diff` both print."""
    stacks = None
    # A base that did not synthesize (the workflow warns) leaves the section out rather than
    # show every stack as added.
    if base_synth is not None and head_synth is not None and (base_synth / "manifest.json").is_file():
        stacks = compare(read_synth(base_synth), read_synth(head_synth))
    return build_comment(read_plans(plans), rendered_diffs(base_rendered, head_rendered), notice, stacks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", type=Path, help="directory of <stack>.json plans")
    parser.add_argument("--base-rendered", type=Path, help="rendered clusters of the base revision")
    parser.add_argument("--head-rendered", type=Path, required=True, help="rendered clusters of the head revision")
    parser.add_argument("--base-synth", type=Path, help="cdktf.out of the base (compared without plans)")
    parser.add_argument("--head-synth", type=Path, help="cdktf.out of the head revision")
    parser.add_argument("--notice", default="", help="a line shown on top (e.g. why plans are missing)")
    args = parser.parse_args(argv)
    if (args.base_synth is None) != (args.head_synth is None):
        parser.error("--base-synth and --head-synth go together")
    markdown = comment(
        plans=args.plans,
        base_rendered=args.base_rendered,
        head_rendered=args.head_rendered,
        base_synth=args.base_synth,
        head_synth=args.head_synth,
        notice=args.notice,
    )
    sys.stdout.write(markdown + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
