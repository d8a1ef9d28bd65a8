"""The lazy provider import is only worth having if it changes nothing but the speed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stacks.app import STACK_PARTS
from stacks.bindings import _load_shell
from stacks.config import Environment
from tests.conftest import ROOT
from tests.helpers import Document


def synthesize(outdir: Path, *, full_import: bool) -> None:
    """`python main.py` in a fresh interpreter, which the import mode needs (it is per process)."""
    subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**os.environ, "CDKTF_OUTDIR": str(outdir), "FULL_PROVIDER_IMPORT": "1" if full_import else "0"},
        capture_output=True,
        check=True,
        timeout=600,
    )


@pytest.mark.slow
def test_fast_path_output_is_byte_identical_to_the_normal_import(
    synth_dir: Path, tmp_path: Path, environments: dict[str, Environment]
) -> None:
    """The session's synth ran on the fast path; one more, normal-path synth to compare with."""
    synthesize(tmp_path / "normal", full_import=True)
    fast = sorted(p.relative_to(synth_dir) for p in synth_dir.rglob("cdk.tf.json"))
    normal = sorted(p.relative_to(tmp_path / "normal") for p in (tmp_path / "normal").rglob("cdk.tf.json"))
    assert fast == normal and len(fast) == len(STACK_PARTS) * len(environments)
    for relative in fast:
        assert (synth_dir / relative).read_bytes() == (tmp_path / "normal" / relative).read_bytes(), relative


def test_only_the_submodules_in_use_are_imported(stacks: dict[str, Document]) -> None:
    loaded = [name for name in sys.modules if name.startswith("cdktf_cdktf_provider_aws.")]
    used_types = {kind for document in stacks.values() for kind in document.get("resource", {})}
    assert "cdktf_cdktf_provider_aws._jsii" in loaded
    # Roughly one module per resource or data source type in use, never the ~2,200 of the package.
    assert len(loaded) < 3 * len(used_types) < 200, sorted(loaded)


def test_a_plain_module_is_left_to_the_normal_import() -> None:
    # A plain (non-package) standard module nothing in this test run has imported yet.
    name = next(n for n in ("colorsys", "tabnanny", "pyclbr", "netrc", "mailcap") if n not in sys.modules)
    assert _load_shell(name) is False
    assert name not in sys.modules


def test_a_package_whose_assembly_fails_to_load_is_left_to_the_normal_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "broken_provider"
    (package / "_jsii").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_jsii" / "__init__.py").write_text("raise ImportError('assembly missing')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _load_shell("broken_provider") is False
    assert not [name for name in sys.modules if name.startswith("broken_provider")]
