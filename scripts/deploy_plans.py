"""Plan, show, and apply exactly what was shown: the steps of deploy.yml.

    python3 -m scripts.deploy_plans plan    --plans plans --commit SHA STACK...
    python3 -m scripts.deploy_plans summary --plans plans --title TEXT STACK...
    python3 -m scripts.deploy_plans fresh   --commit SHA --branch main
    python3 -m scripts.deploy_plans apply   --plans plans --commit SHA STACK...

The stacks of one job come in deploy order (stacks/ci_environments.py), synthesized in
cdktf.out/ (`--synth`). `plan` saves one plan per stack in `plans/<stack>/`: the plan
file, its `terraform show` as JSON and as text, the provider lock file, and review.json
(the commit, and whether the plan changes anything). `apply` applies those files and
nothing else.

A stack reads the outputs of the stacks before it when it is planned. So when a stack it
reads has just been applied with changes, `apply` plans it again and applies the saved
plan only if both change the same things (plan_compare.py). A stack that cannot be
planned before a stack it reads changes (it reads an output that does not exist yet) is
`deferred`: `apply` applies the stacks before it and stops; the next run shows its plan.

Standard library only: it runs on the in-VPC runner's own python3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from scripts import plan_compare
from scripts.plan_summary import summary

Status = Literal["changes", "no-changes", "deferred"]
# Runs `terraform -chdir=<dir> <args>`; with capture, returns stdout instead of streaming it.
Terraform = Callable[..., tuple[int, str]]
REVIEW = "review.json"


class Refused(Exception):
    """Why nothing (more) is planned or applied: one line."""


@dataclass(frozen=True)
class Review:
    """What the plan job recorded about one stack's plan."""

    stack: str
    commit: str
    status: Status
    waits_for: list[str] = field(default_factory=list)  # deferred: the stacks it reads that change first


def terraform(workdir: Path, *args: str, capture: bool = False) -> tuple[int, str]:
    result = subprocess.run(
        ["terraform", f"-chdir={workdir}", *args], stdout=subprocess.PIPE if capture else None, text=True, check=False
    )
    return result.returncode, result.stdout or ""


class Bundles:
    """The saved plans of one job, one folder per stack."""

    def __init__(self, plans: Path) -> None:
        self.plans = plans

    def folder(self, stack: str) -> Path:
        return self.plans / stack

    def review(self, stack: str) -> Review | None:
        path = self.folder(stack) / REVIEW
        return Review(**json.loads(path.read_text())) if path.is_file() else None

    def plan(self, stack: str) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads((self.folder(stack) / "plan.json").read_text())
        return loaded

    def write(self, review: Review) -> None:
        (self.plans / review.stack / REVIEW).write_text(json.dumps(asdict(review), indent=2) + "\n")


@dataclass(frozen=True)
class Synthesized:
    """Where cdktf wrote each stack, and which stacks' outputs each one reads (manifest.json)."""

    root: Path
    folders: dict[str, Path]
    needs: dict[str, list[str]]

    @classmethod
    def read(cls, root: Path) -> Synthesized:
        stacks = json.loads((root / "manifest.json").read_text())["stacks"]
        return cls(
            root,
            {name: root / body["workingDirectory"] for name, body in stacks.items()},
            {name: list(body.get("dependencies", [])) for name, body in stacks.items()},
        )


def changing(bundles: Bundles, stacks: Sequence[str]) -> list[str]:
    """Those of `stacks` whose reviewed plan changes something (or could not be made yet)."""
    reviews = [bundles.review(stack) for stack in stacks]
    return [review.stack for review in reviews if review is not None and review.status != "no-changes"]


def plan(stacks: Sequence[str], *, synth: Path, bundles: Bundles, commit: str, run: Terraform = terraform) -> None:
    app = Synthesized.read(synth)
    for stack in stacks:
        workdir, folder = app.folders[stack], (bundles.plans / stack).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        _must(run(workdir, "init", "-input=false", "-no-color"), f"{stack}: terraform init failed (see above)")
        saved = folder / "tfplan"
        code, _ = run(workdir, "plan", "-input=false", "-no-color", "-lock-timeout=5m", f"-out={saved}")
        if code != 0:
            read = changing(bundles, app.needs[stack])
            if not read:
                raise Refused(f"{stack}: terraform plan failed (see above)")
            bundles.write(Review(stack, commit, "deferred", read))
            print(f"{stack}: cannot be planned before {', '.join(read)} is applied; the next run shows its plan")
            continue
        shown = _must(run(workdir, "show", "-json", str(saved), capture=True), f"{stack}: terraform show failed")
        (folder / "plan.json").write_text(shown)
        text = _must(run(workdir, "show", "-no-color", str(saved), capture=True), f"{stack}: terraform show failed")
        (folder / "plan.txt").write_text(text)
        print(text)
        # The apply job installs the very provider builds this plan was made with.
        shutil.copyfile(workdir / ".terraform.lock.hcl", folder / "lock.hcl")
        status: Status = "changes" if plan_compare.changes(json.loads(shown)) else "no-changes"
        bundles.write(Review(stack, commit, status))


def apply(stacks: Sequence[str], *, synth: Path, bundles: Bundles, commit: str, run: Terraform = terraform) -> None:
    app = Synthesized.read(synth)
    reviews: dict[str, Review] = {}
    for stack in stacks:
        review = bundles.review(stack)
        if review is None:
            raise Refused(f"{stack}: no saved plan in {bundles.plans}; nothing was applied")
        if review.commit != commit:
            raise Refused(f"{stack}: the saved plan is for commit {review.commit}, not {commit}; nothing was applied")
        reviews[stack] = review
    done: list[str] = []  # applied here, with changes
    for stack, review in reviews.items():
        so_far = f"{', '.join(done)} applied" if done else "nothing applied"
        if review.status == "deferred":
            raise Refused(
                f"{stack}: could not be planned before {', '.join(review.waits_for)} changed, so no plan of it was "
                f"reviewed ({so_far}); re-run all jobs of this run to plan, review and apply it"
            )
        upstream = [dependency for dependency in app.needs[stack] if dependency in done]
        if not upstream and review.status == "no-changes":
            print(f"{stack}: no changes")
            continue
        workdir, folder = app.folders[stack], bundles.folder(stack).resolve()
        shutil.copyfile(folder / "lock.hcl", workdir / ".terraform.lock.hcl")
        _must(run(workdir, "init", "-input=false", "-no-color"), f"{stack}: terraform init failed ({so_far})")
        if upstream:
            replanned = folder / "replan.tfplan"
            failed = f"{stack}: planning again after {', '.join(upstream)} failed ({so_far})"
            _must(run(workdir, "plan", "-input=false", "-no-color", "-lock-timeout=5m", f"-out={replanned}"), failed)
            shown = _must(run(workdir, "show", "-json", str(replanned), capture=True), failed)
            found = plan_compare.differences(bundles.plan(stack), json.loads(shown))
            if found:
                raise Refused(plan_compare.one_line(stack, upstream, found))
            print(f"{stack}: planned again after {', '.join(upstream)} was applied: the same changes as reviewed")
        if review.status == "no-changes":
            print(f"{stack}: no changes")
            continue
        code, _ = run(workdir, "apply", "-input=false", "-no-color", "-lock-timeout=5m", str(folder / "tfplan"))
        if code != 0:
            raise Refused(
                f"{stack}: terraform apply failed ({so_far}); if Terraform calls the saved plan stale, another run "
                f"changed {stack} after it was planned: re-run all jobs of this run to plan and review again"
            )
        done.append(stack)


def fresh(commit: str, head: str, branch: str) -> None:
    """Refuse plans made for another commit than the branch's head: a newer run deploys that one."""
    if commit != head:
        raise Refused(
            f"these plans are for commit {commit[:12]}, but {branch} is at {head[:12]} now: refused; "
            f"the run for {head[:12]} plans and deploys {branch}"
        )


def head_of(branch: str, *, api_url: str, repository: str, token: str) -> str:
    """The commit a branch points at, from the REST API (the job's token needs contents: read).

    https://docs.github.com/en/rest/commits/commits#get-a-commit: with the media type
    application/vnd.github.sha the answer is the SHA alone.
    """
    request = urllib.request.Request(  # noqa: S310 - GITHUB_API_URL, an https address the runner sets
        f"{api_url}/repos/{repository}/commits/{branch}",
        headers={
            "Accept": "application/vnd.github.sha",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - see above
        return str(response.read().decode().strip())


def _must(result: tuple[int, str], message: str) -> str:
    code, output = result
    if code != 0:
        raise Refused(message)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("plan", "summary", "apply"):
        command = commands.add_parser(name)
        command.add_argument("stacks", nargs="+", help="stacks in deploy order (one argument may hold several)")
        command.add_argument("--plans", type=Path, default=Path("plans"), help="this job's saved plans")
        command.add_argument("--synth", type=Path, default=Path("cdktf.out"), help="the synthesized app")
        if name == "summary":
            command.add_argument("--title", required=True)
        else:
            command.add_argument("--commit", required=True, help="the commit the plans are (to be) made for")
    check = commands.add_parser("fresh", help="refuse unless --commit is the head of --branch (GitHub REST API)")
    check.add_argument("--commit", required=True)
    check.add_argument("--branch", required=True)
    args = parser.parse_args(argv)
    stacks = [stack for argument in getattr(args, "stacks", []) for stack in argument.split()]
    try:
        if args.command == "fresh":
            environ = os.environ
            try:
                head = head_of(
                    args.branch,
                    api_url=environ["GITHUB_API_URL"],
                    repository=environ["GITHUB_REPOSITORY"],
                    token=environ["GITHUB_TOKEN"],
                )
            except (OSError, KeyError) as error:  # URLError is an OSError; KeyError: not in a GitHub job
                raise Refused(f"cannot read the head of {args.branch} ({error!r}): refused") from None
            fresh(args.commit, head, args.branch)
            print(f"{args.commit[:12]} is the head of {args.branch}")
            return 0
        bundles = Bundles(args.plans)
        if args.command == "summary":
            sys.stdout.write(summary(stacks, bundles=bundles, title=args.title) + "\n")
        elif args.command == "plan":
            plan(stacks, synth=args.synth, bundles=bundles, commit=args.commit)
        else:
            apply(stacks, synth=args.synth, bundles=bundles, commit=args.commit)
    except Refused as refused:
        print(f"::error::{refused}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
