"""Builds the CDKTF app: the stacks of every environment, wired through stack references."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cdktf import App

from rotation.package import build as build_rotation_package
from stacks.bootstrap_stack import BootstrapStack
from stacks.cluster_stack import ClusterStack
from stacks.config import Environment
from stacks.data_stack import DataStack
from stacks.naming import STACK_PARTS as STACK_PARTS  # the deploy order, readable without the bindings
from stacks.network_stack import NetworkStack
from stacks.pipeline_stack import PipelineStack
from stacks.platform_stack import PlatformStack


def build_app(environments: Sequence[Environment], *, outdir: str | None = None) -> App:
    app = App(outdir=outdir) if outdir else App()
    # One deterministic zip for every environment, beside the stacks that copy it in as an
    # asset at synth; nothing is downloaded. Absolute: cdktf resolves a relative asset path
    # against cdktf.json, which a copy of the project run as `python main.py` may not have.
    rotation_package = build_rotation_package(Path(app.outdir).resolve() / "packages")
    for env in environments:
        BootstrapStack(app, env=env)
        network = NetworkStack(app, env=env)
        cluster = ClusterStack(app, env=env, network=network.outputs)
        data = DataStack(
            app, env=env, network=network.outputs, cluster=cluster.outputs, rotation_package=rotation_package
        )
        PlatformStack(
            app,
            env=env,
            network=network.outputs,
            cluster=cluster.outputs,
            database=data.database,
            app_credential=data.app_credential,
            registry_url=data.registry_url,
            registry_arn=data.registry_arn,
        )
        PipelineStack(app, env=env, ecr_repository_arn=data.registry_arn, ecr_repository_url=data.registry_url)
    return app
