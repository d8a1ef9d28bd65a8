"""The job summary of a plan job: what each stack's saved plan would change, for the
people who approve the apply. One table row per stack (scripts/pr_comment.py counts the
changes as `terraform plan` does), then the `terraform show` of every plan that changes
something, folded. Standard library only, like deploy_plans.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from scripts.pr_comment import summarize_plan

if TYPE_CHECKING:
    from scripts.deploy_plans import Bundles

MAX_SHOWN_LINES = 400  # of each stack's `terraform show`; GitHub takes 1 MiB of summary per step


def summary(stacks: Sequence[str], *, bundles: Bundles, title: str) -> str:
    """Markdown for the job summary: one table row per stack, then each plan that changes something."""
    reviews = [bundles.review(stack) for stack in stacks]
    commits = sorted({review.commit[:12] for review in reviews if review})
    parts = [f"## {title}", "", f"Commit {', '.join(commits) or 'unknown'}.", ""]
    parts += ["| stack | plan | destroyed or replaced |", "|---|---|---|"]
    details = []
    for stack, review in zip(stacks, reviews, strict=True):
        if review is None:
            parts.append(f"| `{stack}` | not planned (see the job log) | |")
        elif review.status == "deferred":
            waits = ", ".join(f"`{s}`" for s in review.waits_for)
            parts.append(f"| `{stack}` | planned in the next run: it reads {waits}, which this run changes first | |")
        else:
            parts.append(summarize_plan(stack, bundles.plan(stack)).line)
            if review.status == "changes":
                details.append(_shown_plan(stack, (bundles.folder(stack) / "plan.txt").read_text()))
    return "\n".join([*parts, "", *details])


def _shown_plan(stack: str, text: str) -> str:
    lines = text.rstrip("\n").splitlines()
    cut = lines[:MAX_SHOWN_LINES]
    more = f"\n… {len(lines) - len(cut)} more lines in the job log" if len(lines) > len(cut) else ""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return "\n".join(
        [f"<details><summary><code>{stack}</code>: the plan</summary>", "", fence, *cut, fence + more, "</details>", ""]
    )


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for character in text:
        current = current + 1 if character == "`" else 0
        longest = max(longest, current)
    return longest
