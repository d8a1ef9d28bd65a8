"""The teardown order, run against stand-ins for kubectl, aws and the cdktf CLI."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

KUBECTL = """#!/usr/bin/env bash
echo "kubectl $*" >> "$CALLS"
case "$*" in
  "get kustomizations"*) echo "flux-system apps" ;;
  "get services"*) echo "guestbook/public-nlb" ;;
esac
exit 0
"""
AWS = """#!/usr/bin/env bash
echo "aws $*" >> "$CALLS"
count=$(cat "$LEFT_FILE")
echo "$count"
[ "$count" -gt 0 ] && echo $((count - 1)) > "$LEFT_FILE"
exit 0
"""
NPX = """#!/usr/bin/env bash
echo "npx $*" >> "$CALLS"
"""


def teardown(tmp_path: Path, *, load_balancers: int, wait_seconds: int) -> tuple[int, list[str]]:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in (("kubectl", KUBECTL), ("aws", AWS), ("npx", NPX)):
        (stubs / name).write_text(body)
        (stubs / name).chmod(stat.S_IRWXU)
    (tmp_path / "left").write_text(str(load_balancers))
    calls = tmp_path / "calls"
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "teardown.sh"), "dev", "--yes"],
        env={
            "PATH": f"{stubs}:{os.environ['PATH']}",
            "CALLS": str(calls),
            "LEFT_FILE": str(tmp_path / "left"),
            "TEARDOWN_WAIT_SECONDS": str(wait_seconds),
            "TEARDOWN_POLL_SECONDS": "0",
            "PYTHON": sys.executable,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode, calls.read_text().splitlines()


def position(calls: list[str], fragment: str) -> int:
    return next(index for index, call in enumerate(calls) if fragment in call)


def test_load_balancers_are_gone_before_any_stack_is_destroyed(tmp_path: Path) -> None:
    code, calls = teardown(tmp_path, load_balancers=2, wait_seconds=60)
    assert code == 0
    suspend = position(calls, "fluxcd.controlplane.io/reconcile=disabled")
    suspended = position(calls, "-n flux-system patch kustomizations.kustomize.toolkit.fluxcd.io apps")
    ingresses = position(calls, "delete ingress --all --all-namespaces")
    service = position(calls, "-n guestbook delete service public-nlb")
    polls = [i for i, call in enumerate(calls) if call.startswith("aws resourcegroupstaggingapi")]
    platform = position(calls, "destroy dev-pipeline dev-platform")
    foundation = position(calls, "destroy dev-data dev-cluster dev-network")
    assert suspend < suspended < ingresses < service < polls[0]
    assert len(polls) == 3  # 2 left, 1 left, 0 left
    assert polls[-1] < platform < foundation
    assert "Key=elbv2.k8s.aws/cluster,Values=acme-dev-eks" in calls[polls[0]]


def test_nothing_is_destroyed_while_load_balancers_remain(tmp_path: Path) -> None:
    code, calls = teardown(tmp_path, load_balancers=1000, wait_seconds=0)
    assert code == 1
    assert not [call for call in calls if call.startswith("npx")]
