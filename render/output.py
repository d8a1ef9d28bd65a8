"""Write a rendered cluster as one file per object, so two revisions can be diffed."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from render.cluster import RenderedCluster
from render.fast_yaml import DUMPER


def write_cluster(rendered: RenderedCluster, directory: Path) -> int:
    """Replace `directory` with the rendered objects, all at once; returns the file count."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the rendered tree is for everyone, like the rest
    try:
        for obj in rendered.objects:
            kind, namespace, name = obj.identity
            folder = staging / "_platform" / obj.platform_release if obj.platform_release else staging
            target = folder / (namespace or "_cluster") / f"{kind.lower()}-{name}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"# from {obj.source}\n" + yaml.dump(obj.body, Dumper=DUMPER, sort_keys=True))
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(rendered.objects)
