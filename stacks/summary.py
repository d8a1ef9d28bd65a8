"""A short per-stack report of what a synth produced, read back from cdktf.out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stacks.display import shown


def stack_documents(outdir: Path) -> dict[str, dict[str, Any]]:
    """Stack name → its synthesized cdk.tf.json, for every stack in the manifest."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / entry["synthesizedStackPath"]).read_text())
        for name, entry in manifest["stacks"].items()
    }


def count_blocks(document: dict[str, Any], kind: str) -> int:
    return sum(len(instances) for instances in document.get(kind, {}).values())


def summarize(outdir: Path) -> str:
    rows = []
    for name, document in stack_documents(outdir).items():
        rows.append(
            f"  {name:<16} {count_blocks(document, 'resource'):>4} resources  "
            f"{count_blocks(document, 'data'):>3} data sources  {len(document.get('output', {})):>3} outputs"
        )
    return "\n".join([f"Synthesized {len(rows)} stacks into {shown(outdir)}/stacks:", *rows])
