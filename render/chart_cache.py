"""The chart cache: chart archives (`<chart>-<version>.tgz`, as `helm pull` names them) kept on disk.

Why one directory and one setting: the platform charts must render without network (CI
machines here cannot download), so every render reads archives from one place that
`helm pull` fills wherever there is a network: `charts/` of the upstream cache
(upstream_cache.py, the one setting `UPSTREAM_CACHE`).

A pinned version that is not cached is pulled when the cache is writable. When it
cannot be had, the newest cached version of the same chart is rendered instead, and
the result says so in a notice: never silently.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from render import helm
from render.errors import RenderError
from render.upstream_cache import charts_dir, upstream_cache_dir

PULL_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class CachedChart:
    path: Path
    version: str
    notice: str | None  # set when `version` is not the pinned one, saying why


def chart_cache_dir() -> Path:
    return charts_dir(upstream_cache_dir())


def find_chart(
    name: str, version: str, repository: str, *, cache: Path | None = None, timeout: float = PULL_TIMEOUT_SECONDS
) -> CachedChart:
    """The archive of `name` `version`: cached, else pulled, else the newest cached version with a notice."""
    cache = cache if cache is not None else chart_cache_dir()
    wanted = cache / f"{name}-{version}.tgz"
    if wanted.is_file():
        return CachedChart(wanted, version, None)
    if _writable(cache):
        try:
            return CachedChart(_pull_into(cache, name, version, repository, timeout), version, None)
        except helm.PullFailed as failure:
            why = f"pulling it from {repository} failed: {failure}"
    else:
        why = "the cache is read-only, so it was not pulled"
    cached = cached_versions(cache, name)
    if not cached:
        raise RenderError(
            [f"{name} {version} is not in the chart cache ({cache}) and no other version of it is ({why})"]
        )
    newest = max(cached, key=version_key)
    notice = f"{name} {version} is not in the chart cache ({cache}); rendered {newest} instead ({why})"
    return CachedChart(cache / f"{name}-{newest}.tgz", newest, notice)


def cached_versions(cache: Path, name: str) -> list[str]:
    """Versions of chart `name` in the cache (`flux-operator-0.49.0.tgz` → `0.49.0`)."""
    if not cache.is_dir():
        return []
    prefix = f"{name}-"
    return [
        archive.name[len(prefix) : -len(".tgz")]
        for archive in cache.glob(f"{prefix}*.tgz")
        if archive.name[len(prefix) : len(prefix) + 1].isdigit()  # flux-operator-crds-… is another chart
    ]


def version_key(version: str) -> tuple[tuple[int, ...], int, tuple[tuple[int, int, str], ...]]:
    """Semantic-version order: numbers compared as numbers, a pre-release before its release."""
    core, _, pre = version.split("+", 1)[0].partition("-")
    numbers = tuple(int(part) if part.isdigit() else -1 for part in core.split("."))
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".") if part)
    return numbers, 0 if pre else 1, identifiers  # a release sorts after its pre-releases


def _writable(cache: Path) -> bool:
    """A cache whose mode allows no writes counts as read-only even for root, who could write anyway."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return bool(cache.stat().st_mode & stat.S_IWUSR) and os.access(cache, os.W_OK)


def _pull_into(cache: Path, name: str, version: str, repository: str, timeout: float) -> Path:
    """Pull into a scratch folder first, so an interrupted pull leaves no half-written archive."""
    scratch = Path(tempfile.mkdtemp(prefix=".pull-", dir=cache))
    try:
        archive = helm.pull_chart(name, version, repository, scratch, timeout=timeout)
        expected = f"{name}-{version}.tgz"
        if archive.name != expected:
            raise helm.PullFailed(f"it wrote {archive.name}, not {expected}")
        return archive.replace(cache / expected)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
