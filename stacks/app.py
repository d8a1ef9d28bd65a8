"""Builds the CDKTF app: the stacks of every environment, wired through stack references."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import App

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
    for env in environments:
        BootstrapStack(app, env=env)
        network = NetworkStack(app, env=env)
        cluster = ClusterStack(app, env=env, network=network.outputs)
        data = DataStack(app, env=env, network=network.outputs, cluster=cluster.outputs)
        PlatformStack(
            app,
            env=env,
            network=network.outputs,
            cluster=cluster.outputs,
            database=data.database,
            registry_url=data.registry_url,
            registry_arn=data.registry_arn,
        )
        PipelineStack(app, env=env, ecr_repository_arn=data.registry_arn, ecr_repository_url=data.registry_url)
    return app
