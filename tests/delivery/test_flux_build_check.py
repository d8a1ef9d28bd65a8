"""The flux build check (render/flux_build_check.py): what it feeds the real flux CLI, and
every difference between the CLI's objects and the render's, planted one at a time.

The CLI cannot run here. Its output is faked the way `flux build kustomization` v2.8
prints it (fluxcd/flux2 internal/build/build.go): multi-document YAML, every object
labelled with the Kustomization that built it."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from render.bridge_values import bridge_values
from render.cluster import RenderedCluster, RenderedObject
from render.flux_build_check import INDEX, Build, applier, compare, plan_builds, prepare, read_rendered, run_builds
from render.output import write_cluster
from stacks.config import Environment
from tests.conftest import ROOT
from tests.helpers import Document

BRIDGE = ("ConfigMap", "cluster-vars")
VALUES = {"db_host": "db.example.com", "db_port": "5432"}
APPS = Build("dev", "flux-system", "apps", "clusters/apps/dev")
ENTRY = Build("dev", "flux-system", "flux-system", "clusters/dev")
FROM_APPS = "clusters/apps/dev (Kustomization apps)"  # the render's label (render/cluster.py)


def kustomization(name: str, *, substitute_from: str = "cluster-vars", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {
            "path": f"./clusters/{name}",
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            "postBuild": {"substituteFrom": [{"kind": "ConfigMap", "name": substitute_from}]},
            **spec,
        },
    }


def deployment(replicas: int = 1, port: Any = 5432) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "guestbook", "namespace": "guestbook", "labels": {"app.kubernetes.io/name": "guestbook"}},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "app", "args": [port]}]}}},
    }


def namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "guestbook"}}


def render(root: Path, *objects: tuple[str, dict[str, Any]], env: str = "dev") -> Path:
    """A rendered/<env>/ tree as the main job writes it (render/output.py)."""
    write_cluster(RenderedCluster(env, [RenderedObject(source, body) for source, body in objects]), root / env)
    return root


def built_by(build: Build, *bodies: dict[str, Any]) -> str:
    """What `flux build kustomization` prints for `bodies`."""
    documents = []
    for body in bodies:
        body = copy.deepcopy(body)
        labels = body["metadata"].setdefault("labels", {})
        labels.update(
            {"kustomize.toolkit.fluxcd.io/name": build.name, "kustomize.toolkit.fluxcd.io/namespace": build.namespace}
        )
        documents.append(yaml.safe_dump(body))
    return "---\n" + "---\n".join(documents)


def applies(build: Build, source: str) -> bool:
    return applier(source, build.environment) == (build.namespace, build.name)


def check(tmp_path: Path, rendered: Path, outputs: dict[Build, str]) -> list[str]:
    builds = tmp_path / "builds"
    (builds / "dev").mkdir(parents=True)
    (builds / INDEX).write_text(json.dumps([vars(build) for build in outputs]))
    for build, output in outputs.items():
        (builds / build.output).write_text(output)
    return compare(builds, rendered)


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    return render(
        tmp_path / "rendered",
        ("clusters/dev", kustomization("apps")),
        (FROM_APPS, namespace()),
        (FROM_APPS, deployment()),
        # Not Flux Kustomizations' objects: the chart's output, a platform release's.
        ("charts/app (HelmRelease guestbook/guestbook)", {**namespace(), "metadata": {"name": "from-chart"}}),
        ("helm_release flux (dev-platform)", {**namespace(), "metadata": {"name": "from-platform"}}),
    )


def test_a_build_that_makes_what_the_render_has_passes(tmp_path: Path, rendered: Path) -> None:
    outputs = {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, deployment(), namespace())}
    assert check(tmp_path, rendered, outputs) == []


def test_an_object_only_flux_makes_is_reported(tmp_path: Path, rendered: Path) -> None:
    extra = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "extra", "namespace": "guestbook"}}
    outputs = {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, namespace(), deployment(), extra)}
    assert check(tmp_path, rendered, outputs) == [
        "dev: Kustomization flux-system/apps: ConfigMap guestbook/extra: flux build makes it, the render does not"
    ]


def test_an_object_flux_does_not_make_is_reported(tmp_path: Path, rendered: Path) -> None:
    outputs = {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, deployment())}
    assert check(tmp_path, rendered, outputs) == [
        "dev: Kustomization flux-system/apps: Namespace guestbook: the render has it, flux build does not make it"
    ]


@pytest.mark.parametrize(
    ("built", "line"),
    [
        (deployment(replicas=2), "spec.replicas: flux build says 2, the render says 1"),
        (
            deployment(port="5432"),
            'spec.template.spec.containers[0].args[0]: flux build says "5432", the render says 5432',
        ),
        (
            {
                **deployment(),
                "metadata": {
                    "name": "guestbook",
                    "namespace": "guestbook",
                    "labels": {"app": "x", **deployment()["metadata"]["labels"]},
                },
            },
            'metadata.labels.app: flux build says "x", the render says nothing',
        ),
        (
            {**deployment(), "metadata": {"name": "guestbook", "namespace": "guestbook"}},
            'metadata.labels: flux build says nothing, the render says {"app.kubernetes.io/name": "guestbook"}',
        ),
    ],
    ids=["value", "type", "changed-labels", "no-labels"],
)
def test_a_changed_field_is_reported_with_its_path(tmp_path: Path, rendered: Path, built: Any, line: str) -> None:
    outputs = {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, namespace(), built)}
    assert check(tmp_path, rendered, outputs) == [
        f"dev: Kustomization flux-system/apps: Deployment guestbook/guestbook: {line}"
    ]


def test_a_kustomization_outside_flux_system_is_told_apart_by_its_namespace(tmp_path: Path) -> None:
    team = Build("dev", "team", "apps", "clusters/team")
    rendered = render(
        tmp_path / "rendered",
        ("clusters/dev", kustomization("apps")),
        (FROM_APPS, namespace()),
        ("clusters/team (Kustomization team/apps)", deployment()),
    )
    outputs = {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, namespace()), team: ""}
    assert check(tmp_path, rendered, outputs) == [
        "dev: Kustomization team/apps: Deployment guestbook/guestbook: the render has it, flux build does not make it"
    ]


def test_an_object_labelled_as_another_kustomizations_is_reported(tmp_path: Path, rendered: Path) -> None:
    other = Build("dev", "flux-system", "other", "x")
    outputs = {
        ENTRY: built_by(ENTRY, kustomization("apps")),
        APPS: built_by(APPS, deployment()) + built_by(other, namespace()),
    }
    assert check(tmp_path, rendered, outputs) == [
        'dev: Kustomization flux-system/apps: Namespace guestbook: metadata.labels: flux build says {"kustomize.toolkit.fluxcd.io/name": "other"}, the render says nothing'
    ]


def test_an_object_flux_makes_twice_is_reported(tmp_path: Path, rendered: Path) -> None:
    outputs = {
        ENTRY: built_by(ENTRY, kustomization("apps")),
        APPS: built_by(APPS, namespace(), deployment(), namespace()),
    }
    assert check(tmp_path, rendered, outputs) == [
        "dev: Kustomization flux-system/apps: Namespace guestbook: flux build makes it twice"
    ]


def test_a_rendered_kustomization_with_no_build_and_a_build_with_no_output_are_reported(
    tmp_path: Path, rendered: Path
) -> None:
    builds = tmp_path / "builds"
    (builds / "dev").mkdir(parents=True)
    (builds / INDEX).write_text(json.dumps([vars(ENTRY)]))
    file = rendered / "dev" / "guestbook" / "deployment-guestbook.yaml"
    assert compare(builds, rendered) == [
        f"dev: {rendered / 'dev' / '_cluster' / 'namespace-guestbook.yaml'}: from {FROM_APPS}, which no build covers",
        f"dev: {file}: from {FROM_APPS}, which no build covers",
        f"dev: Kustomization flux-system/flux-system: no flux build output {builds / ENTRY.output}",
    ]


def test_the_builds_are_the_entry_point_and_every_kustomization_with_the_bridge_values(tmp_path: Path) -> None:
    own = kustomization(
        "apps",
        postBuild={
            "substituteFrom": [{"kind": "ConfigMap", "name": "cluster-vars"}],
            "substitute": {"db_port": "6432"},
        },
    )
    files, _ = read_rendered(
        render(
            tmp_path,
            ("clusters/dev", own),
            ("clusters/dev", kustomization("plain", postBuild={})),
            ("charts/x (HelmRelease a/b)", kustomization("from-a-chart")),
        )
        / "dev"
    )
    builds, problems = plan_builds("dev", files, VALUES, BRIDGE)
    assert problems == []
    assert [build for build, _ in builds] == [
        ENTRY,
        Build("dev", "flux-system", "apps", "clusters/apps"),
        Build("dev", "flux-system", "plain", "clusters/plain"),
    ]
    entry, apps, plain = (body for _, body in builds)
    # flux-operator v0.58.0 internal/builder/templates.go (syncTmpl): no postBuild.
    assert entry["spec"] == {
        "interval": "10m0s",
        "path": "clusters/dev",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    }
    # Inline values win over substituteFrom's in Flux, so the Kustomization's own stay.
    assert apps["spec"]["postBuild"]["substitute"] == {"db_host": "db.example.com", "db_port": "6432"}
    assert plain["spec"]["postBuild"] == {}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            kustomization("apps", substitute_from="other-vars"),
            "spec.postBuild.substituteFrom: only ConfigMap/cluster-vars has known values",
        ),
        (
            kustomization("apps", sourceRef={"kind": "OCIRepository", "name": "flux-system"}),
            "spec.sourceRef: only GitRepository flux-system/flux-system is this checkout",
        ),
        (
            {**kustomization("apps"), "metadata": {"name": "apps", "namespace": "team"}},
            "spec.sourceRef: only GitRepository flux-system/flux-system is this checkout",
        ),
    ],
    ids=["other-configmap", "other-source", "source-in-own-namespace"],
)
def test_a_kustomization_that_cannot_be_built_from_this_checkout_is_reported(
    tmp_path: Path, body: dict[str, Any], problem: str
) -> None:
    files, _ = read_rendered(render(tmp_path, ("clusters/dev", body)) / "dev")
    _, problems = plan_builds("dev", files, VALUES, BRIDGE)
    assert problems == [f"dev: {files[0].file}: Kustomization {body['metadata']['namespace']}/apps: {problem}"]


def fake_flux(tmp_path: Path, *, stdout: str, stderr: str = "", code: int = 0) -> Path:
    """An executable that records its arguments and answers like flux would."""
    script = tmp_path / "flux"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(tmp_path / 'argv.json')!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.stdout.write({stdout!r}); sys.stderr.write({stderr!r}); sys.exit({code})\n"
    )
    script.chmod(0o755)
    return script


def index(tmp_path: Path, *builds: Build) -> Path:
    (tmp_path / "builds" / "dev").mkdir(parents=True)
    (tmp_path / "builds" / INDEX).write_text(json.dumps([vars(build) for build in builds]))
    return tmp_path / "builds"


def test_flux_builds_each_kustomization_in_dry_run_with_strict_substitution(tmp_path: Path) -> None:
    builds = index(tmp_path, APPS)
    output = built_by(APPS, namespace())
    assert run_builds(builds, Path("/repo"), str(fake_flux(tmp_path, stdout=output))) == []
    assert json.loads((tmp_path / "argv.json").read_text()) == [
        "build", "kustomization", "apps", "--namespace", "flux-system", "--path", "/repo/clusters/apps/dev",
        "--kustomization-file", str(builds / "dev/flux-system.apps.kustomization.yaml"), "--dry-run", "--strict-substitute",
    ]  # fmt: skip
    assert (builds / APPS.output).read_text() == output


def test_a_failed_flux_build_is_one_line(tmp_path: Path) -> None:
    builds = index(tmp_path, APPS)
    error = "✗ var substitution failed for 'guestbook':\n  variable not set (strict mode): \"db_hots\"\n"
    flux = fake_flux(tmp_path, stdout="", stderr=error, code=1)
    assert run_builds(builds, Path("/repo"), str(flux)) == [
        "dev: Kustomization flux-system/apps: flux build failed: ✗ var substitution failed for 'guestbook': variable not set (strict mode): \"db_hots\""
    ]
    assert not (builds / APPS.output).exists()


def test_the_command_line_fails_with_one_line_per_difference_and_without_the_projects_dependencies(
    tmp_path: Path, rendered: Path
) -> None:
    """The workflow job that runs it installs PyYAML and nothing else of the project's."""
    check(
        tmp_path,
        rendered,
        {ENTRY: built_by(ENTRY, kustomization("apps")), APPS: built_by(APPS, deployment(replicas=3))},
    )
    program = (
        "import sys; from render.flux_build_check import main; code = main(sys.argv[1:]); "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'stacks', 'pydantic', 'cdktf', 'helm'}); "
        "print('heavy:', heavy); sys.exit(code)"
    )
    arguments = ["compare", "--builds", str(tmp_path / "builds"), "--rendered", str(rendered)]
    result = subprocess.run(
        [sys.executable, "-c", program, *arguments], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stdout == "heavy: []\n"
    assert result.stderr.splitlines() == [
        "dev: Kustomization flux-system/apps: Deployment guestbook/guestbook: spec.replicas: flux build says 3, the render says 1",
        "dev: Kustomization flux-system/apps: Namespace guestbook: the render has it, flux build does not make it",
        "2 problem(s) found (compare).",
    ]


def test_prepare_does_not_overwrite_a_directory_it_did_not_write(tmp_path: Path, rendered: Path) -> None:
    (tmp_path / "builds").mkdir()
    (tmp_path / "builds" / "notes.txt").write_text("mine")
    assert prepare(ROOT, rendered, tmp_path, tmp_path / "builds") == [
        f"{tmp_path / 'builds'}: not empty and has no {INDEX}; not overwritten"
    ]


@pytest.mark.slow
def test_the_real_render_round_trips(
    tmp_path: Path,
    clusters: dict[str, RenderedCluster],
    rendered_dir: Path,
    synth_dir: Path,
    stacks: dict[str, Document],
    environments: dict[str, Environment],
) -> None:
    """prepare on what the main job writes: one build per Flux Kustomization of every
    environment, fed the render's own bridge values; a faithful CLI agrees, a changed one does not."""
    builds = tmp_path / "builds"
    assert prepare(ROOT, rendered_dir, synth_dir, builds) == []
    index = [Build(**entry) for entry in json.loads((builds / INDEX).read_text())]
    for env, cluster in clusters.items():
        names = {o.body["metadata"]["name"] for o in cluster.objects if o.body["kind"] == "Kustomization"}
        assert {b.name for b in index if b.environment == env} == names | {"flux-system"}
        values = bridge_values(stacks[f"{env}-platform"], environments[env])
        for build in index:
            if build.environment == env and build.name != "flux-system":
                body = yaml.safe_load((builds / build.input).read_text())
                assert body["spec"]["postBuild"]["substitute"] == values, build
    for build in index:
        objects = [o.body for o in clusters[build.environment].objects if applies(build, o.source)]
        assert objects, f"{build}: the render attributes nothing to it"
        (builds / build.output).write_text(built_by(build, *objects))
    assert compare(builds, rendered_dir) == []
    # The changed CLI is compared on prod alone: compare reads and judges each environment
    # apart and dev's builds agree (above), so dev would add seconds of YAML and no line.
    prod_builds, prod_rendered = tmp_path / "prod-builds", tmp_path / "prod-rendered"
    shutil.copytree(builds / "prod", prod_builds / "prod")
    (prod_builds / INDEX).write_text(json.dumps([vars(build) for build in index if build.environment == "prod"]))
    prod_rendered.mkdir()
    (prod_rendered / "prod").symlink_to(rendered_dir / "prod", target_is_directory=True)
    [apps] = [b for b in index if (b.environment, b.name) == ("prod", "apps")]
    planted = copy.deepcopy([o.body for o in clusters["prod"].objects if applies(apps, o.source)])
    [release] = [body for body in planted if body["kind"] == "HelmRelease"]
    rendered_interval = json.dumps(release["spec"]["interval"])
    release["spec"]["interval"] = "1h"
    (prod_builds / apps.output).write_text(built_by(apps, *planted))
    assert compare(prod_builds, prod_rendered) == [
        "prod: Kustomization flux-system/apps: HelmRelease guestbook/guestbook: spec.interval: "
        f'flux build says "1h", the render says {rendered_interval}'
    ]
