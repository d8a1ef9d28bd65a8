"""`make new-env NAME=staging FROM=dev`: a new environment, copied from an existing one.

    python -m scripts.new_env staging dev

Writes `environments/<NAME>.yaml` (FROM's file below a short header), `clusters/<NAME>/`
(FROM's Flux entry points) and `clusters/apps/<NAME>/` (FROM's app overlay), with every
mention of FROM in the copied Flux files renamed (entry-point paths, the image
automation's update path and commit message, comments). The environment file keeps
FROM's values on purpose: what must differ (network.cidr in the same account, domain,
state bucket and key) then fails validation with one line each until it is changed, and
those lines are printed at the end as the list of edits to make.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from stacks.config import ConfigError, load_environments
from stacks.config.flux_tree import env_folders
from stacks.config.loader import PATTERN_HINTS
from stacks.config.model import DNS_LABEL
from stacks.config.yaml_source import YamlProblem, read_mapping
from stacks.display import shown
from stacks.naming import CONNECTION_NAME_MAX

REPO = Path(__file__).resolve().parents[1]
HEADER = """\
# {name}: copied from {source}.yaml by `make new-env`. Validation (`make synth`) reports,
# one line each, what must still differ from {source}: network.cidr (same account), domain,
# state.bucket and state.kms_key_arn. Review the rest too: account_id, tier, sizes,
# cluster.admin_principal_arns (people only), dns, platform.flux.image_automation.
"""
# What a user reviews after the lines validation prints (these are never reported).
REVIEW = "account_id, region, tier, node and database sizes, admin_principal_arns, dns, delivery"


class ScaffoldError(Exception):
    """Why nothing was written, one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Written:
    path: Path
    renamed: int  # mentions of the source environment renamed in it


def scaffold(repo: Path, name: str, source: str) -> list[Written]:
    """Copy `source`'s environment file and Flux folders to `name`; ScaffoldError (nothing written) if it cannot."""
    environments = repo / "environments"
    known = sorted(path.stem for path in environments.glob("*.yaml"))
    problems = []
    if not name:
        problems.append("NAME: which environment to create, e.g. make new-env NAME=staging FROM=dev")
    elif not re.match(DNS_LABEL, name):
        problems.append(f"NAME: {name!r} {PATTERN_HINTS[DNS_LABEL]}")
    if not source:
        problems.append(f"FROM: which environment to copy (one of: {', '.join(known)})")
    elif source not in known:
        problems.append(f"FROM: no file {shown(environments / (source + '.yaml'))} (known: {', '.join(known)})")
    elif not (repo / env_folders(source)[0]).is_dir():
        problems.append(f"FROM: {shown(repo / env_folders(source)[0])}/ is missing; there are no entry points to copy")
    if problems:
        raise ScaffoldError(problems)
    targets = [environments / f"{name}.yaml", *(repo / folder for folder in env_folders(name))]
    problems += [f"NAME: {shown(target)} already exists" for target in targets if target.exists()]
    project = _project(environments / f"{source}.yaml")
    connection = f"{project}-{name}-github"
    if project and len(connection) > CONNECTION_NAME_MAX:
        problems.append(
            f"NAME: {name!r} is too long: the GitHub connection {connection} would exceed "
            f"{CONNECTION_NAME_MAX} characters"
        )
    if problems:
        raise ScaffoldError(problems)

    text = (environments / f"{source}.yaml").read_text(encoding="utf-8")
    (environments / f"{name}.yaml").write_text(HEADER.format(name=name, source=source) + text, encoding="utf-8")
    written = [Written(environments / f"{name}.yaml", 0)]
    mention = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(source)}(?![A-Za-z0-9_])")
    for origin, copy in zip(env_folders(source), env_folders(name), strict=True):
        if not (repo / origin).is_dir():
            continue
        shutil.copytree(repo / origin, repo / copy)
        for path in sorted(p for p in (repo / copy).rglob("*") if p.is_file()):
            content, count = mention.subn(name, path.read_text(encoding="utf-8"))
            path.write_text(content, encoding="utf-8")
            written.append(Written(path, count))
    return written


def _project(path: Path) -> str:
    try:
        return str(read_mapping(path).get("project") or "")
    except YamlProblem:
        return ""


def report(repo: Path, name: str, source: str, written: list[Written]) -> str:
    lines = [f"Created environment {name}, copied from {source}:"]
    for item in written:
        plural = "" if item.renamed == 1 else "s"
        renamed = f"  ({item.renamed} mention{plural} of {source} renamed)" if item.renamed else ""
        lines.append(f"  {shown(item.path)}{renamed}")
    try:
        load_environments(repo / "environments")
    except ConfigError as error:
        lines.append(f"Next, edit {shown(repo / 'environments' / (name + '.yaml'))}; validation reports:")
        lines += [f"  {line}" for line in error.lines]
    else:
        lines.append("Validation passes already.")
    lines.append(f"Review too: {REVIEW}. Then `make synth` until it reports no problem.")
    return "\n".join(lines)


def main(argv: list[str] | None = None, repo: Path = REPO) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("name", help="the new environment (the file name environments/<name>.yaml)")
    parser.add_argument("source", help="the environment to copy")
    args = parser.parse_args(argv)
    try:
        written = scaffold(repo, args.name, args.source)
    except ScaffoldError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 2
    print(report(repo, args.name, args.source, written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
