"""An ACM certificate for the environment's host names, validated through DNS.

Consumers take the ARN from the validation resource, so nothing uses the certificate
before ACM has issued it.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import TerraformIterator, Token
from constructs import Construct

from stacks.bindings import aws


class DnsValidatedCertificate(Construct):
    def __init__(self, scope: Construct, id_: str, *, host_names: Sequence[str], zone_id: str) -> None:
        super().__init__(scope, id_)
        first, *others = host_names
        certificate = aws.acm_certificate.AcmCertificate(
            self,
            "certificate",
            domain_name=first,
            subject_alternative_names=others or None,
            validation_method="DNS",
            key_algorithm="EC_prime256v1",
            # A new host name replaces the certificate; the old one stays until the
            # listeners use the new one.
            lifecycle={"create_before_destroy": True},
        )
        options = TerraformIterator.from_complex_list(certificate.domain_validation_options, "domain_name")
        records = aws.route53_record.Route53Record(
            self,
            "validation-record",
            for_each=options,
            zone_id=zone_id,
            name=options.get_string("resource_record_name"),
            type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")],
            ttl=60,
            allow_overwrite=True,
        )
        validation = aws.acm_certificate_validation.AcmCertificateValidation(
            self,
            "validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=Token.as_list(TerraformIterator.from_resources(records).pluck_property("fqdn")),
        )
        self.arn: str = validation.certificate_arn
