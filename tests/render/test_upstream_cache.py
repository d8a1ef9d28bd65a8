"""One setting says where charts, Flux's manifests and the operator's CRDs are read from."""

from __future__ import annotations

from pathlib import Path

import pytest

from render import upstream_cache
from render.chart_cache import chart_cache_dir
from render.errors import RenderError
from render.upstream_cache import flux_manifests_dir, operator_crds_dir, upstream_cache_dir


def test_the_setting_wins_for_every_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSTREAM_CACHE", str(tmp_path))
    assert upstream_cache_dir() == tmp_path
    assert chart_cache_dir() == tmp_path / "charts"


def test_without_the_setting_the_shared_artifacts_else_a_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPSTREAM_CACHE", raising=False)
    monkeypatch.setattr(upstream_cache, "SHARED", tmp_path)
    assert upstream_cache_dir() == tmp_path
    monkeypatch.setattr(upstream_cache, "SHARED", tmp_path / "absent")
    assert upstream_cache_dir() == upstream_cache.ROOT / ".cache" / "upstream"


@pytest.mark.parametrize(
    ("wanted", "found"),
    [("2.8.8", "flux-v2.8.8"), ("2.8.x", "flux-v2.8.10"), ("2.x", "flux-v2.9.0"), ("v2.7.x", "flux-v2.7.1")],
)
def test_the_newest_flux_the_instance_version_allows(tmp_path: Path, wanted: str, found: str) -> None:
    for name in ("flux-v2.7.1", "flux-v2.8.8", "flux-v2.8.10", "flux-v2.9.0", "flux-v2.8.8.tgz"):
        (tmp_path / name).mkdir()
    assert flux_manifests_dir(tmp_path, wanted) == tmp_path / found


def test_no_cached_flux_for_the_instance_version(tmp_path: Path) -> None:
    (tmp_path / "flux-v2.7.1").mkdir()
    with pytest.raises(RenderError) as caught:
        flux_manifests_dir(tmp_path, "2.8.x")
    assert caught.value.problems == (
        f"the upstream cache {tmp_path} has no Flux manifests for distribution version 2.8.x: put "
        f"{upstream_cache.FLUX_ORIGIN} into {tmp_path}/flux-v<version>/ (or set UPSTREAM_CACHE)",
    )


def test_a_version_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="only exact versions and x wildcards"):
        flux_manifests_dir(tmp_path, ">=2.7.0")


def test_operator_crds_of_exactly_the_pinned_version(tmp_path: Path) -> None:
    (tmp_path / "flux-operator-v0.57.0-crds").mkdir()
    with pytest.raises(RenderError, match=r"no CRDs of flux-operator 0\.58\.0"):
        operator_crds_dir(tmp_path, "0.58.0")
    (tmp_path / "flux-operator-v0.58.0-crds").mkdir()
    assert operator_crds_dir(tmp_path, "0.58.0") == tmp_path / "flux-operator-v0.58.0-crds"
