"""Rules across environments: what two environment files must not share.

Each file is valid on its own (model.py, checks.py); these rules compare them with each
other, because a copied file is valid and still deploys into its source's resources.
Each problem is one line on the file that comes later in name order, naming the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import combinations
from pathlib import Path

from stacks.config.model import Environment
from stacks.display import shown
from stacks.naming import cluster_name

Problem = tuple[str, str]  # (field path, message) on the later of the two files
PairRule = Callable[[Environment, Environment, str], Iterator[Problem]]


def stray_files(directory: Path) -> list[str]:
    """Entries of `environments/` that are not read: only `<name>.yaml` is an environment.

    Hidden files (editor swap files, .gitkeep) are not attempts at an environment.
    """
    lines = []
    for entry in sorted(directory.iterdir()) if directory.is_dir() else []:
        if entry.name.startswith(".") or (entry.suffix == ".yaml" and entry.is_file()):
            continue
        if entry.suffix == ".yml" and entry.is_file():
            lines.append(f"{shown(entry)}: not read: environment files end in .yaml (rename it {entry.stem}.yaml)")
        else:
            lines.append(f"{shown(entry)}: not an environment file (only <name>.yaml is read here); move it elsewhere")
    return lines


def fleet_problems(files: Mapping[Path, Environment], *, selected: set[str] | None = None) -> list[str]:
    """Every pair of environments; with `selected`, only pairs that involve a selected one."""
    lines = []
    for (first_path, first), (second_path, second) in combinations(sorted(files.items()), 2):
        if selected is not None and not {first.name, second.name} & selected:
            continue
        other = shown(first_path)
        for rule in PAIR_RULES:
            lines += [f"{shown(second_path)}: {field}: {message}" for field, message in rule(first, second, other)]
    return lines


def _network(first: Environment, second: Environment, other: str) -> Iterator[Problem]:
    """VPCs of one account are peered or routed to each other sooner or later; overlapping ones cannot be."""
    if first.account_id == second.account_id and first.network.cidr.overlaps(second.network.cidr):
        yield (
            "network.cidr",
            f"{second.network.cidr} overlaps {first.network.cidr} of {other} (same account {second.account_id}); "
            "choose a range of its own",
        )


def _domain(first: Environment, second: Environment, other: str) -> Iterator[Problem]:
    """Both would issue certificates for, and point DNS records of, the same host names."""
    if first.domain == second.domain:
        yield "domain", f"{second.domain} is also the domain of {other}; each environment needs its own"


def _names(first: Environment, second: Environment, other: str) -> Iterator[Problem]:
    """Physical names are `{project}-{env}-…` (naming.py): one prefix twice in one account collides everywhere."""
    if first.account_id == second.account_id and cluster_name(first) == cluster_name(second):
        yield (
            "project",
            f"cluster name {cluster_name(second)} is also that of {other} in account {second.account_id}: "
            "project and name join to the same prefix of every physical name; change the project of either",
        )


def _state(first: Environment, second: Environment, other: str) -> Iterator[Problem]:
    """Each `<env>-bootstrap` stack creates its own state bucket and key (bootstrap_stack.py)."""
    if first.state.bucket == second.state.bucket:
        yield (
            "state.bucket",
            f"{second.state.bucket} is also the state bucket of {other}; each environment's bootstrap stack "
            "creates its own (S3 bucket names are global)",
        )
    if second.state.kms_key_arn is not None and first.state.kms_key_arn == second.state.kms_key_arn:
        yield (
            "state.kms_key_arn",
            f"is also the state key of {other}; remove it until {second.name}-bootstrap has created this "
            "environment's key, then set its state_key_arn output here",
        )


def _oidc_provider(first: Environment, second: Environment, other: str) -> Iterator[Problem]:
    """IAM holds one OIDC provider per URL and account; a second create fails with EntityAlreadyExists."""
    creates = (first.delivery.github_oidc_provider, second.delivery.github_oidc_provider) == ("create", "create")
    if first.account_id == second.account_id and creates:
        yield (
            "delivery.github_oidc_provider",
            f"{other} already creates the GitHub OIDC provider of account {second.account_id} (one per account); "
            "set existing here",
        )


PAIR_RULES: tuple[PairRule, ...] = (_network, _domain, _names, _state, _oidc_provider)
