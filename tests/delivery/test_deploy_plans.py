"""The deploy steps (scripts/deploy_plans.py) against a Terraform that plays its part: plans are
saved with what the summary needs, only saved plans are applied, a stack that reads a stack just
applied is planned again and applied only if nothing differs, and stale or foreign plans are refused.

The synthesized app is three stacks as cdktf lays them out: dev-network ← dev-cluster ← dev-platform
(each reads the ones before). The first two are one job's, dev-platform is planned and applied by
later jobs, as in deploy.yml."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from scripts import deploy_plans
from scripts.deploy_plans import Bundles, Refused, Review, apply, fresh, head_of, plan
from scripts.plan_summary import summary

COMMIT = "a" * 40
NEWER = "b" * 40
NEEDS = {"dev-network": [], "dev-cluster": ["dev-network"], "dev-platform": ["dev-cluster", "dev-network"]}
NO_CHANGES: dict[str, Any] = {"format_version": "1.2", "resource_changes": [], "output_changes": {}}


def changing(*addresses: str, after: str = "new") -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": a, "change": {"actions": ["update"], "before": {"v": "old"}, "after": {"v": after}}}
            for a in addresses
        ],
    }


class FakeTerraform:
    """`terraform -chdir=<stack dir> …`: each `plan` of a stack returns its next document (None: it fails)."""

    def __init__(self, plans: dict[str, list[dict[str, Any] | None]], *, failing_apply: str = "") -> None:
        self.plans = {stack: list(documents) for stack, documents in plans.items()}
        self.failing_apply = failing_apply
        self.calls: list[str] = []
        self.applied: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, workdir: Path, *args: str, capture: bool = False) -> tuple[int, str]:
        stack, command = workdir.name, args[0]
        self.calls.append(f"{stack} {command}")
        if command == "init":
            (workdir / ".terraform.lock.hcl").write_text(f"# providers of {stack}\n")
            return 0, ""
        if command == "plan":
            document = self.plans[stack].pop(0)
            if document is None:
                return 1, ""
            Path(args[-1].removeprefix("-out=")).write_text(json.dumps(document))
            return 0, ""
        saved = Path(args[-1])
        assert saved.is_absolute(), "with -chdir, a relative plan path would be read from the stack's folder"
        if command == "show":
            text = saved.read_text()
            return 0, text if "-json" in args else f"Terraform will perform the following actions on {stack}\n"
        assert command == "apply" and "-auto-approve" not in args
        self.applied.append((stack, json.loads(saved.read_text())))
        return (1 if stack == self.failing_apply else 0), ""


@pytest.fixture
def synth(tmp_path: Path) -> Path:
    root = tmp_path / "cdktf.out"
    stacks = {name: {"workingDirectory": f"stacks/{name}", "dependencies": deps} for name, deps in NEEDS.items()}
    for name in NEEDS:
        (root / "stacks" / name).mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps({"stacks": stacks}))
    return root


STACKS = list(NEEDS)


@pytest.fixture
def bundles(tmp_path: Path) -> Bundles:
    return Bundles(tmp_path / "plans")


def planned(synth: Path, bundles: Bundles, plans: dict[str, list[dict[str, Any] | None]]) -> None:
    """One plan job over the stacks of `plans`, in that order."""
    plan(list(plans), synth=synth, bundles=bundles, commit=COMMIT, run=FakeTerraform(plans))


def test_a_saved_plan_keeps_what_the_apply_and_the_summary_need(synth: Path, bundles: Bundles) -> None:
    planned(synth, bundles, {"dev-network": [NO_CHANGES], "dev-cluster": [changing("aws_eks_cluster.eks")]})
    folder = bundles.plans / "dev-cluster"
    assert sorted(p.name for p in folder.iterdir()) == ["lock.hcl", "plan.json", "plan.txt", "review.json", "tfplan"]
    assert (folder / "lock.hcl").read_text() == "# providers of dev-cluster\n"
    assert bundles.review("dev-cluster") == Review("dev-cluster", COMMIT, "changes")
    assert bundles.review("dev-network") == Review("dev-network", COMMIT, "no-changes")


def test_a_plan_that_fails_fails_the_job(synth: Path, bundles: Bundles) -> None:
    with pytest.raises(Refused, match=r"^dev-cluster: terraform plan failed \(see above\)$"):
        planned(synth, bundles, {"dev-network": [NO_CHANGES], "dev-cluster": [None]})


def test_a_plan_that_fails_while_a_stack_it_reads_changes_waits_for_the_next_run(synth: Path, bundles: Bundles) -> None:
    """A new output of dev-cluster that dev-platform reads does not exist before dev-cluster is applied."""
    planned(
        synth,
        bundles,
        {"dev-network": [NO_CHANGES], "dev-cluster": [changing("aws_eks_cluster.eks")], "dev-platform": [None]},
    )
    assert bundles.review("dev-platform") == Review("dev-platform", COMMIT, "deferred", ["dev-cluster"])


def test_only_saved_plans_are_applied_and_plans_without_changes_are_skipped(synth: Path, bundles: Bundles) -> None:
    network = changing("aws_vpc.vpc")
    planned(synth, bundles, {"dev-network": [network], "dev-cluster": [NO_CHANGES], "dev-platform": [NO_CHANGES]})
    terraform = FakeTerraform({"dev-cluster": [NO_CHANGES], "dev-platform": [NO_CHANGES]})
    apply(STACKS, synth=synth, bundles=bundles, commit=COMMIT, run=terraform)
    assert terraform.applied == [("dev-network", network)]
    # Each stack that reads dev-network was planned again, found unchanged, and left alone.
    assert terraform.calls == [
        "dev-network init",
        "dev-network apply",
        "dev-cluster init",
        "dev-cluster plan",
        "dev-cluster show",
        "dev-platform init",
        "dev-platform plan",
        "dev-platform show",
    ]
    lock = synth / "stacks" / "dev-network" / ".terraform.lock.hcl"
    assert lock.read_text() == "# providers of dev-network\n", "the apply installs the providers the plan used"


def test_a_stack_planned_again_with_the_same_changes_gets_its_reviewed_plan_applied(
    synth: Path, bundles: Bundles
) -> None:
    cluster, platform = changing("aws_eks_cluster.eks"), changing("helm_release.flux")
    planned(synth, bundles, {"dev-network": [NO_CHANGES], "dev-cluster": [cluster], "dev-platform": [platform]})
    terraform = FakeTerraform({"dev-platform": [changing("helm_release.flux")]})
    apply(STACKS, synth=synth, bundles=bundles, commit=COMMIT, run=terraform)
    assert terraform.applied == [("dev-cluster", cluster), ("dev-platform", platform)]
    saved = [call for call in terraform.calls if call.startswith("dev-platform")]
    assert saved == ["dev-platform init", "dev-platform plan", "dev-platform show", "dev-platform apply"]


def test_stacks_planned_by_a_later_job_are_not_planned_again(tmp_path: Path, synth: Path) -> None:
    """deploy.yml plans the cluster-API stacks after the job before has applied the AWS stacks."""
    aws, cluster_api = Bundles(tmp_path / "aws"), Bundles(tmp_path / "cluster-api")
    cluster, platform = changing("aws_eks_cluster.eks"), changing("helm_release.flux")
    terraform = FakeTerraform({"dev-network": [NO_CHANGES], "dev-cluster": [cluster], "dev-platform": [platform]})
    plan(["dev-network", "dev-cluster"], synth=synth, bundles=aws, commit=COMMIT, run=terraform)
    apply(["dev-network", "dev-cluster"], synth=synth, bundles=aws, commit=COMMIT, run=terraform)
    plan(["dev-platform"], synth=synth, bundles=cluster_api, commit=COMMIT, run=terraform)
    apply(["dev-platform"], synth=synth, bundles=cluster_api, commit=COMMIT, run=terraform)
    assert terraform.applied == [("dev-cluster", cluster), ("dev-platform", platform)]
    assert [call for call in terraform.calls if call.endswith(" plan")] == [
        "dev-network plan",
        "dev-cluster plan",
        "dev-platform plan",
    ]


def test_a_stack_whose_plan_changed_after_a_stack_it_reads_was_applied_is_not_applied(
    synth: Path, bundles: Bundles
) -> None:
    planned(
        synth, bundles, {"dev-network": [changing("aws_vpc.vpc")], "dev-cluster": [changing("aws_eks_cluster.eks")]}
    )
    terraform = FakeTerraform({"dev-cluster": [changing("aws_eks_cluster.eks", after="other subnets")]})
    with pytest.raises(Refused) as refused:
        apply(["dev-network", "dev-cluster"], synth=synth, bundles=bundles, commit=COMMIT, run=terraform)
    assert str(refused.value) == (
        "dev-cluster: after dev-network was applied, its plan differs from the reviewed one: "
        "aws_eks_cluster.eks would update with other values. Nothing of dev-cluster was applied; "
        "re-run all jobs of this run to plan, review and apply it."
    )
    assert [stack for stack, _ in terraform.applied] == ["dev-network"]


def test_a_stack_that_waits_for_the_next_run_stops_the_apply_after_the_stacks_before_it(
    synth: Path, bundles: Bundles
) -> None:
    planned(
        synth,
        bundles,
        {"dev-network": [NO_CHANGES], "dev-cluster": [changing("aws_eks_cluster.eks")], "dev-platform": [None]},
    )
    terraform = FakeTerraform({})
    with pytest.raises(Refused) as refused:
        apply(STACKS, synth=synth, bundles=bundles, commit=COMMIT, run=terraform)
    assert str(refused.value) == (
        "dev-platform: could not be planned before dev-cluster changed, so no plan of it was reviewed "
        "(dev-cluster applied); re-run all jobs of this run to plan, review and apply it"
    )
    assert [stack for stack, _ in terraform.applied] == ["dev-cluster"]


def test_plans_of_another_commit_are_refused_before_anything_is_applied(synth: Path, bundles: Bundles) -> None:
    planned(synth, bundles, {"dev-network": [changing("aws_vpc.vpc")], "dev-cluster": [NO_CHANGES]})
    terraform = FakeTerraform({})
    with pytest.raises(Refused, match=rf"^dev-network: the saved plan is for commit {COMMIT}, not {NEWER}; nothing"):
        apply(["dev-network", "dev-cluster"], synth=synth, bundles=bundles, commit=NEWER, run=terraform)
    assert terraform.calls == []


def test_a_failed_apply_says_what_was_applied_and_what_to_do(synth: Path, bundles: Bundles) -> None:
    planned(
        synth, bundles, {"dev-network": [changing("aws_vpc.vpc")], "dev-cluster": [changing("aws_eks_cluster.eks")]}
    )
    terraform = FakeTerraform({"dev-cluster": [changing("aws_eks_cluster.eks")]}, failing_apply="dev-cluster")
    with pytest.raises(Refused) as refused:
        apply(["dev-network", "dev-cluster"], synth=synth, bundles=bundles, commit=COMMIT, run=terraform)
    assert str(refused.value) == (
        "dev-cluster: terraform apply failed (dev-network applied); if Terraform calls the saved plan stale, "
        "another run changed dev-cluster after it was planned: re-run all jobs of this run to plan and review again"
    )


def test_plans_for_an_older_commit_of_main_are_refused() -> None:
    fresh(COMMIT, COMMIT, "main")
    with pytest.raises(Refused) as refused:
        fresh(COMMIT, NEWER, "main")
    assert str(refused.value) == (
        "these plans are for commit aaaaaaaaaaaa, but main is at bbbbbbbbbbbb now: refused; "
        "the run for bbbbbbbbbbbb plans and deploys main"
    )


def test_the_head_of_main_is_read_from_the_rest_api(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[urllib.request.Request] = []

    class Answer:
        def __enter__(self) -> Answer:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def read(self) -> bytes:
            return f"{NEWER}\n".encode()

    def urlopen(request: urllib.request.Request, timeout: int) -> Answer:
        seen.append(request)
        return Answer()

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    assert head_of("main", api_url="https://api.github.com", repository="acme/platform", token="t") == NEWER
    [request] = seen
    assert request.full_url == "https://api.github.com/repos/acme/platform/commits/main"
    assert request.get_header("Accept") == "application/vnd.github.sha"
    assert request.get_header("Authorization") == "Bearer t"


def test_the_summary_shows_every_stack_and_each_plan_that_changes_something(synth: Path, bundles: Bundles) -> None:
    planned(
        synth,
        bundles,
        {"dev-network": [NO_CHANGES], "dev-cluster": [changing("aws_eks_cluster.eks")], "dev-platform": [None]},
    )
    shown = summary(STACKS, bundles=bundles, title="dev: stacks that call AWS APIs")
    assert shown.splitlines()[:9] == [
        "## dev: stacks that call AWS APIs",
        "",
        "Commit aaaaaaaaaaaa.",
        "",
        "| stack | plan | destroyed or replaced |",
        "|---|---|---|",
        "| `dev-network` | no changes | |",
        "| `dev-cluster` | 0 to add, 1 to change, 0 to destroy |  |",
        "| `dev-platform` | planned in the next run: it reads `dev-cluster`, which this run changes first | |",
    ]
    assert "Terraform will perform the following actions on dev-cluster" in shown
    assert "on dev-network" not in shown


def test_the_command_line_takes_the_stacks_as_one_argument_and_reports_a_refusal_as_an_error(
    synth: Path, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    planned(synth, bundles, {"dev-network": [NO_CHANGES], "dev-cluster": [NO_CHANGES]})
    capsys.readouterr()
    argv = ["summary", "--plans", str(bundles.plans), "--title", "dev", "dev-network dev-cluster"]
    assert deploy_plans.main(argv) == 0
    assert "| `dev-cluster` | no changes | |" in capsys.readouterr().out
    argv = ["apply", "--synth", str(synth), "--plans", str(bundles.plans), "--commit", NEWER, "dev-network"]
    assert deploy_plans.main(argv) == 1
    assert capsys.readouterr().out.startswith(f"::error::dev-network: the saved plan is for commit {COMMIT}")


def test_without_the_head_of_main_nothing_is_applied(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def unreachable(request: urllib.request.Request, timeout: int) -> None:
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    for name, value in {"GITHUB_API_URL": "https://api.github.com", "GITHUB_REPOSITORY": "acme/platform"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    assert deploy_plans.main(["fresh", "--commit", COMMIT, "--branch", "main"]) == 1
    assert capsys.readouterr().out.startswith("::error::cannot read the head of main (URLError(")
