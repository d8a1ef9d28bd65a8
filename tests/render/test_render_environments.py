"""One environment rendered whole: its platform releases, then the Flux tree on what they install."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from render.cluster import RenderedCluster
from render.errors import RenderError
from render.run import render_environments, summarize
from render.upstream_cache import upstream_cache_dir
from stacks.config import Environment
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    not (upstream_cache_dir() / "charts").is_dir(), reason="upstream cache absent: set UPSTREAM_CACHE"
)


@pytest.fixture
def project(tmp_path: Path, synth_dir: Path) -> Path:
    """The Flux tree and charts, and a copy of the synthesized stacks to plant changes in."""
    for folder in ("clusters", "charts"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    shutil.copytree(synth_dir, tmp_path / "cdktf.out")
    return tmp_path


def change_release_values(project: Path, env: str, chart: str, change: dict[str, object]) -> None:
    path = project / "cdktf.out" / "stacks" / f"{env}-platform" / "cdk.tf.json"
    document = json.loads(path.read_text())
    [release] = [r for r in document["resource"]["helm_release"].values() if r["chart"] == chart]
    values = json.loads(release["values"][0])
    for key, value in change.items():
        target = values
        *parents, last = key.split(".")
        for parent in parents:
            target = target[parent]
        if value is None:
            del target[last]
        else:
            target[last] = value
    release["values"] = [json.dumps(values)]
    path.write_text(json.dumps(document))


def render(project: Path, env: Environment) -> dict[str, RenderedCluster]:
    return render_environments(project, [env], project / "cdktf.out", None)


def problems(project: Path, env: Environment) -> list[str]:
    with pytest.raises(RenderError) as caught:
        render(project, env)
    return list(caught.value.problems)


def test_a_kind_no_controller_of_the_environment_serves_is_an_error(
    project: Path, environments: dict[str, Environment]
) -> None:
    source = (ROOT / "clusters/apps/dev/image-automation.yaml").read_text()
    [policy] = [doc for doc in source.split("---\n") if "kind: ImagePolicy" in doc]
    (project / "clusters/apps/prod/image-policy.yaml").write_text(policy)
    kustomization = project / "clusters/apps/prod/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text().replace("  - ../base/guestbook", "  - ../base/guestbook\n  - image-policy.yaml")
    )
    assert problems(project, environments["prod"]) == [
        "clusters/apps/prod (Kustomization apps): ImagePolicy flux-system/guestbook: "
        "apiVersion: image.toolkit.fluxcd.io/v1 ImagePolicy is not served by any controller installed in this environment"
    ]


def test_substitution_is_as_strict_as_the_clusters_kustomize_controller(
    project: Path, environments: dict[str, Environment]
) -> None:
    release = project / "clusters/apps/base/guestbook/release.yaml"
    release.write_text(release.read_text().replace("${app_host}", "${app_hostname}"))
    [problem] = problems(project, environments["dev"])
    assert problem.startswith("clusters/apps/dev (Kustomization apps): HelmRelease guestbook/guestbook: ")
    assert 'variable not set (strict mode): "app_hostname"' in problem

    # Without the gate the variable becomes empty: YAML null, so Helm falls back to the chart's default "".
    change_release_values(project, "dev", "flux-instance", {"instance.kustomize": None})
    assert problems(project, environments["dev"]) == [
        "clusters/apps/dev (Kustomization apps): HelmRelease guestbook/guestbook: values: at '/ingress/host': "
        r"'' does not match pattern '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$'"
    ]


def test_a_platform_value_the_chart_ignores_is_an_error(project: Path, environments: dict[str, Environment]) -> None:
    change_release_values(project, "prod", "external-secrets", {"replicaCounnt": 3})
    assert problems(project, environments["prod"]) == [
        "prod-platform: helm_release external-secrets (external-secrets 1.0.0): values.replicaCounnt changes nothing "
        "in the rendered chart (a typo, or a value this chart version ignores)"
    ]


def test_platform_objects_are_written_beside_the_flux_tree(
    clusters: dict[str, RenderedCluster], rendered_dir: Path
) -> None:
    deployment = rendered_dir / "dev/_platform/external-secrets/external-secrets/deployment-external-secrets.yaml"
    assert deployment.read_text().splitlines()[0] == (
        "# from dev-platform: helm_release external-secrets (external-secrets 1.0.0)"
    )
    assert (rendered_dir / "dev/guestbook/deployment-guestbook.yaml").is_file()
    summary = summarize(clusters, rendered_dir)
    assert "notice: dev-platform: helm_release flux-operator: flux-operator 0.58.0 is not in the chart cache" in summary
    assert summary.startswith(f"Rendered {len(clusters)} clusters:\n  dev ")


def test_rendered_folders_are_readable_like_the_rest_of_the_checkout(
    clusters: dict[str, RenderedCluster], rendered_dir: Path
) -> None:
    """A tree made in a private temporary folder and renamed into place would stay private (0700)."""
    assert clusters
    folders = [rendered_dir / "dev", *(p for p in (rendered_dir / "dev").rglob("*") if p.is_dir())]
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {"0o755"}
