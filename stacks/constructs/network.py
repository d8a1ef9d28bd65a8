"""The VPC: public, private (nodes and pods) and isolated database subnets in every zone.

Private subnets are large because the VPC CNI gives every pod a VPC address. Database
subnets have no route to the internet at all. Subnets carry the tags the AWS Load
Balancer Controller uses to discover where public and internal load balancers go.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from constructs import Construct

from stacks.bindings import aws
from stacks.config import SubnetPlan


@dataclass(frozen=True)
class NetworkOutputs:
    vpc_id: str
    vpc_cidr: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    database_subnet_ids: list[str]


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        cidr: str,
        zones: list[str],
        plan: SubnetPlan,
        nat_gateways: int,
        cluster_name: str,
    ) -> None:
        super().__init__(scope, id_)
        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}
        self.vpc = aws.vpc.Vpc(
            self, "vpc", cidr_block=cidr, enable_dns_support=True, enable_dns_hostnames=True, tags={"Name": name}
        )
        # Nothing may use the default security group: it is left with no rules at all.
        aws.default_security_group.DefaultSecurityGroup(
            self, "default-security-group", vpc_id=self.vpc.id, tags={"Name": f"{name}-default-closed"}
        )
        gateway = aws.internet_gateway.InternetGateway(
            self, "internet-gateway", vpc_id=self.vpc.id, tags={"Name": name}
        )

        def subnets(tier: str, blocks: tuple[IPv4Network, ...], tags: dict[str, str]) -> list[Any]:
            return [
                aws.subnet.Subnet(
                    self,
                    f"{tier}-{zone}",
                    vpc_id=self.vpc.id,
                    cidr_block=str(block),
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-{tier}-{zone}", "tier": tier, **tags},
                )
                for zone, block in zip(zones, blocks, strict=True)
            ]

        public = subnets("public", plan.public, {"kubernetes.io/role/elb": "1", **cluster_tag})
        private = subnets("private", plan.private, {"kubernetes.io/role/internal-elb": "1", **cluster_tag})
        database = subnets("database", plan.database, {})

        public_routes = aws.route_table.RouteTable(
            self, "public-routes", vpc_id=self.vpc.id, tags={"Name": f"{name}-public"}
        )
        aws.route.Route(
            self,
            "public-default-route",
            route_table_id=public_routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
        )
        for zone, subnet in zip(zones, public, strict=True):
            aws.route_table_association.RouteTableAssociation(
                self, f"public-{zone}-routes", subnet_id=subnet.id, route_table_id=public_routes.id
            )

        nats = []
        for index, zone in enumerate(zones[:nat_gateways]):
            address = aws.eip.Eip(self, f"nat-{zone}-address", domain="vpc", tags={"Name": f"{name}-nat-{zone}"})
            nats.append(
                aws.nat_gateway.NatGateway(
                    self,
                    f"nat-{zone}",
                    allocation_id=address.id,
                    subnet_id=public[index].id,
                    tags={"Name": f"{name}-{zone}"},
                    depends_on=[gateway],
                )
            )

        # Each private subnet leaves through the NAT gateway in its own zone when there
        # is one, so losing a zone does not cut the others off.
        private_route_tables = []
        for index, (zone, subnet) in enumerate(zip(zones, private, strict=True)):
            routes = aws.route_table.RouteTable(
                self, f"private-{zone}-routes", vpc_id=self.vpc.id, tags={"Name": f"{name}-private-{zone}"}
            )
            aws.route.Route(
                self,
                f"private-{zone}-default-route",
                route_table_id=routes.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[index % len(nats)].id,
            )
            aws.route_table_association.RouteTableAssociation(
                self, f"private-{zone}-association", subnet_id=subnet.id, route_table_id=routes.id
            )
            private_route_tables.append(routes)

        database_routes = aws.route_table.RouteTable(
            self, "database-routes", vpc_id=self.vpc.id, tags={"Name": f"{name}-database-isolated"}
        )
        for zone, subnet in zip(zones, database, strict=True):
            aws.route_table_association.RouteTableAssociation(
                self, f"database-{zone}-association", subnet_id=subnet.id, route_table_id=database_routes.id
            )

        # Image layers (ECR stores them in S3) and other S3 traffic skip the NAT gateways.
        aws.vpc_endpoint.VpcEndpoint(
            self,
            "s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{zones[0][:-1]}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in [*private_route_tables, database_routes]],
            tags={"Name": f"{name}-s3"},
        )

        self.outputs = NetworkOutputs(
            vpc_id=self.vpc.id,
            vpc_cidr=self.vpc.cidr_block,
            public_subnet_ids=[subnet.id for subnet in public],
            private_subnet_ids=[subnet.id for subnet in private],
            database_subnet_ids=[subnet.id for subnet in database],
        )
