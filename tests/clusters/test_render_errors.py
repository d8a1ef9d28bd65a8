"""A broken Flux tree or chart value: one clear line naming file, object and field; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.cluster import RenderedCluster, RenderedObject, _check_dependencies, render_cluster
from render.errors import RenderError
from stacks import bridge
from tests.catalogs import full_catalog
from tests.main_job import copy_project, run_main_job

VALUES = {key: f"value-of-{key}" for key in bridge.CONTRACT} | {
    "ecr_repository_url": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/acme/dev/app",
    "certificate_arn": "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-4000-8000-000000000000",
    "db_secret_arn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!db-1-AbCdEf",
    "app_host": "app.dev.acme.example.com",
    "flux_webhook_host": "flux-webhook.dev.acme.example.com",
    "ingress_group": "acme-dev-eks",
    "db_port": "5432",
    "db_role": "guestbook",
    "db_name": "app",
    "vpc_cidr": "10.10.0.0/16",
    "aws_region": "eu-west-1",
    "secrets_prefix": "acme/dev/",
}


def problems(repo: Path) -> list[str]:
    with pytest.raises(RenderError) as caught:
        render_cluster(repo, "dev", VALUES, "1.35", catalog=full_catalog())
    return list(caught.value.problems)


def test_the_unbroken_copy_renders(repo: Path) -> None:
    assert render_cluster(repo, "dev", VALUES, "1.35", catalog=full_catalog()).objects


def test_chart_value_of_the_wrong_type(repo: Path) -> None:
    patch = repo / "clusters/apps/dev/guestbook-values.yaml"
    patch.write_text(patch.read_text().replace("replicas: 1", "replicas: one"))
    assert problems(repo) == [
        "clusters/apps/dev (Kustomization apps): HelmRelease guestbook/guestbook: values: at '/replicas': got string, want integer"
    ]


def test_unknown_chart_value(repo: Path) -> None:
    patch = repo / "clusters/apps/dev/guestbook-values.yaml"
    patch.write_text(patch.read_text().replace("replicas: 1", "replicas: 1\n    replica: 2"))
    assert problems(repo) == [
        "clusters/apps/dev (Kustomization apps): HelmRelease guestbook/guestbook: values: at '': additional properties 'replica' not allowed"
    ]


def test_unknown_field_in_a_flux_object(repo: Path) -> None:
    entry = repo / "clusters/dev/apps.yaml"
    entry.write_text(entry.read_text().replace("  prune: true", "  prune: true\n  prunne: true"))
    assert problems(repo) == [
        "clusters/dev: Kustomization flux-system/apps: spec: Additional properties are not allowed ('prunne' was unexpected)"
    ]


def test_unknown_field_in_a_rendered_kubernetes_object(repo: Path) -> None:
    template = repo / "charts/app/templates/service.yaml"
    template.write_text(template.read_text().replace("  type: ClusterIP", "  type: ClusterIP\n  tipe: ClusterIP"))
    [problem] = problems(repo)
    assert problem.startswith("charts/app (HelmRelease guestbook/guestbook): Service guestbook/guestbook: ")
    assert "tipe" in problem


def test_variable_missing_from_the_bridge(repo: Path) -> None:
    release = repo / "clusters/apps/base/guestbook/release.yaml"
    release.write_text(release.read_text().replace("${db_name}", "${db_nmae}"))
    assert problems(repo) == [
        "clusters/apps/dev (Kustomization apps): HelmRelease guestbook/guestbook: envsubst error: variable "
        'substitution failed: variable not set (strict mode): "db_nmae"'
    ]


def test_dangling_and_cyclic_dependencies() -> None:
    def kustomization(name: str, *depends: str) -> RenderedObject:
        spec = {"dependsOn": [{"name": d} for d in depends]}
        return RenderedObject(
            "x", {"kind": "Kustomization", "metadata": {"name": name, "namespace": "flux-system"}, "spec": spec}
        )

    dangling = RenderedCluster("dev", [kustomization("apps", "infra")])
    assert _check_dependencies(dangling) == [
        "Kustomization flux-system/apps: spec.dependsOn: flux-system/infra does not exist"
    ]
    cycle = RenderedCluster("dev", [kustomization("a", "b"), kustomization("b", "a")])
    [problem] = _check_dependencies(cycle)
    assert problem.startswith("Kustomization dependsOn has a cycle: ")


@pytest.mark.slow
@pytest.mark.usefixtures("clusters")
def test_main_job_reports_render_errors_and_writes_nothing(tmp_path: Path) -> None:
    """Every environment, so nothing of prod is written though prod renders. After the
    session's render (`clusters`), whose memo the copy starts from (tests/working_tree.py)."""
    project = copy_project(tmp_path, "stacks", "render", "system", "rotation", "clusters", "charts", "environments")
    entry = project / "clusters/dev/apps.yaml"
    entry.write_text(entry.read_text().replace("name: infra-configs", "name: infra-config"))
    result = run_main_job(project)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-2:] == [
        "Kustomization flux-system/apps: spec.dependsOn: flux-system/infra-config does not exist",
        "1 problem(s) found; no cluster was written.",
    ]
    assert "Traceback" not in result.stderr
    assert not (project / "rendered").exists()
