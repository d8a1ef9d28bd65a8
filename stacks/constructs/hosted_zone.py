"""The environment's public Route 53 zone: created here, or an existing one looked up."""

from __future__ import annotations

from constructs import Construct

from stacks.bindings import aws


class HostedZone(Construct):
    def __init__(self, scope: Construct, id_: str, *, domain: str, create: bool, zone_name: str | None) -> None:
        super().__init__(scope, id_)
        if create:
            zone = aws.route53_zone.Route53Zone(
                self, "zone", name=domain, comment=f"{domain}: records written by ExternalDNS and ACM validation"
            )
        else:
            zone = aws.data_aws_route53_zone.DataAwsRoute53Zone(
                self, "zone", name=zone_name or domain, private_zone=False
            )
        self.zone_id: str = zone.zone_id
        self.arn: str = zone.arn
