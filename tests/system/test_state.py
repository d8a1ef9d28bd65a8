"""State invariant: each planted defect is reported with its exact line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from system import state
from system.facts import SystemFacts
from tests.system.conftest import FactsFactory


def lines(facts: SystemFacts) -> list[str]:
    return [str(v) for v in state.check(facts)]


def test_the_examples_hold(system_facts: FactsFactory) -> None:
    for name in ("dev", "prod"):
        assert lines(system_facts(name)) == []


def test_a_ci_deployed_stack_with_local_state_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    facts.stack("data")["terraform"]["backend"] = {"local": {"path": "terraform.dev-data.tfstate"}}
    assert (
        "dev-data: state: local state on a CI runner is lost after the run; set state.bucket in the environment file"
        in lines(facts)
    )


def test_state_without_the_bootstrap_key_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    del facts.stack("network")["terraform"]["backend"]["s3"]["kms_key_id"]
    assert lines(facts) == [
        "prod-network: state: backend.s3 has no kms_key_id: state is written with SSE-S3, not the bootstrap key "
        "(set state.kms_key_arn to the bootstrap stack's state_key_arn output)"
    ]


def test_state_without_locking_or_version_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("prod")
    terraform = facts.stack("cluster")["terraform"]
    terraform["backend"]["s3"]["use_lockfile"] = False
    del terraform["required_version"]
    assert lines(facts) == [
        "prod-cluster: state: terraform.required_version must demand >= 1.10 (S3-native locking)",
        "prod-cluster: state: backend.s3.use_lockfile is not true: two runs can write the state at once",
    ]


def test_a_remote_state_read_of_another_backend_is_reported(system_facts: FactsFactory) -> None:
    facts = system_facts("dev")
    [read] = [
        b for n, b in facts.stack("platform")["data"]["terraform_remote_state"].items() if n.endswith("dev-network")
    ]
    read["config"]["key"] = "dev/networks.tfstate"
    [line] = lines(facts)
    assert line.startswith("dev-platform: state: reads dev-network's outputs from s3 ")
    assert "'key': 'dev/networks.tfstate'" in line and "'key': 'dev/network.tfstate'" in line


def test_an_absolute_path_of_the_synth_machine_is_reported(system_facts: FactsFactory, tmp_path: Path) -> None:
    facts = system_facts("dev")
    copied = tmp_path / "synth"
    shutil.copytree(facts.synth_dir, copied)
    target = copied / "stacks" / "dev-bootstrap" / "cdk.tf.json"
    document = json.loads(target.read_text())
    document["terraform"]["backend"] = {"local": {"path": f"{facts.repo.resolve()}/terraform.dev-bootstrap.tfstate"}}
    target.write_text(json.dumps(document))
    facts.synth_dir = copied
    assert lines(facts) == [
        f"dev-bootstrap/cdk.tf.json: state: contains the absolute path {facts.repo.resolve()} of the synth machine"
    ]
