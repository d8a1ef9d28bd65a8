"""IAM policy of ExternalDNS: change records in one hosted zone, and only under the domain.

`ListHostedZones` has no resource-level permission, so it stays account-wide (it reveals
zone names, nothing inside them). Record changes are limited to the environment's zone
and, through `ChangeResourceRecordSetsNormalizedRecordNames`, to names under the
environment's domain, which matters when the zone is a shared parent zone.
"""

from __future__ import annotations

from stacks.constructs.iam import Statement


def external_dns_statements(*, zone_arn: str, domain: str) -> list[Statement]:
    return [
        {
            "sid": "ChangeRecordsUnderTheDomainInOneZone",
            "actions": ["route53:ChangeResourceRecordSets"],
            "resources": [zone_arn],
            "condition": [
                {
                    "test": "ForAllValues:StringLike",
                    "variable": "route53:ChangeResourceRecordSetsNormalizedRecordNames",
                    "values": [domain, f"*.{domain}"],
                }
            ],
        },
        {
            "sid": "ReadTheZone",
            "actions": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
            "resources": [zone_arn],
        },
        {"sid": "FindTheZone", "actions": ["route53:ListHostedZones"], "resources": ["*"]},
    ]
