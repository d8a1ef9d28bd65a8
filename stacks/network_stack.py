"""`<env>-network`: the VPC, its subnets and routes, and flow logs."""

from __future__ import annotations

from constructs import Construct

from stacks.config import Environment, plan_subnets
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.flow_logs import FlowLogs
from stacks.constructs.network import Network, NetworkOutputs
from stacks.environment_stack import EnvironmentStack
from stacks.naming import cluster_name, physical_name


class NetworkStack(EnvironmentStack):
    def __init__(self, scope: Construct, *, env: Environment) -> None:
        super().__init__(scope, "network", env=env)
        name = physical_name(env, "vpc")
        zones = list(env.network.availability_zones)
        network = Network(
            self,
            "network",
            name=name,
            cidr=str(env.network.cidr),
            zones=zones,
            plan=plan_subnets(env.network.cidr, len(zones), env.network.subnet_prefixes.model_dump()),
            nat_gateways=env.network.nat_gateways,
            cluster_name=cluster_name(env),
        )
        logs_key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{name}-logs",
            description=f"{name} flow logs",
            account_id=env.account_id,
            region=env.region,
            for_cloudwatch_logs=True,
        )
        FlowLogs(
            self,
            "flow-logs",
            name=name,
            vpc_id=network.outputs.vpc_id,
            retention_days=env.network.flow_log_retention_days,
            key_arn=logs_key.arn,
            account_id=env.account_id,
        )
        self.outputs: NetworkOutputs = network.outputs
        self.output("vpc_id", network.outputs.vpc_id, "VPC id")
        self.output("private_subnet_ids", network.outputs.private_subnet_ids, "Subnets of nodes and pods")
