"""`<env>-platform`: the controllers that bridge AWS and Kubernetes, DNS and TLS, and the
bridge ConfigMap that hands Terraform's facts to Flux.

Order on first apply: the Load Balancer Controller is ready (its webhook answering)
before anything else starts, External Secrets and ExternalDNS next, Flux last — so the
first Ingress or ExternalSecret Flux applies from Git meets a controller that is
already there. Custom resources (ClusterSecretStore, Receiver, …) are never applied by
Terraform: Flux applies them from Git once their CRDs exist.
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks import bridge
from stacks.bindings import aws, kubernetes
from stacks.config import Environment
from stacks.constructs.addons import external_dns, external_secrets, flux, load_balancer_controller
from stacks.constructs.addons.external_secrets_policy import secret_prefix_arn
from stacks.constructs.addons.helm_addon import AddonProps, HelmAddon
from stacks.constructs.certificate import DnsValidatedCertificate
from stacks.constructs.cluster_bridge import ClusterBridge
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.hosted_zone import HostedZone
from stacks.constructs.network import NetworkOutputs
from stacks.constructs.postgres import DatabaseOutputs
from stacks.environment_stack import EnvironmentStack
from stacks.naming import cluster_name, physical_name


class PlatformStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env: Environment,
        network: NetworkOutputs,
        cluster: ClusterOutputs,
        database: DatabaseOutputs,
        registry_url: str,
        registry_arn: str,
    ) -> None:
        super().__init__(scope, "platform", env=env)
        self.connect_to_cluster(cluster)
        name = cluster_name(env)
        overrides = env.platform.addon_values
        app_host = f"{env.dns.app_hostname}.{env.domain}"
        webhook_host = f"{env.dns.flux_webhook_hostname}.{env.domain}"
        secrets_prefix = f"{env.project}/{env.name}/"

        zone = HostedZone(
            self, "dns", domain=env.domain, create=env.dns.hosted_zone == "create", zone_name=env.dns.zone_name
        )
        certificate = DnsValidatedCertificate(self, "tls", host_names=[app_host, webhook_host], zone_id=zone.zone_id)

        secrets_key = EncryptionKey(
            self,
            "secrets-key",
            alias=physical_name(env, "platform-secrets"),
            description=f"Secrets under {secrets_prefix} in Secrets Manager",
            account_id=env.account_id,
            region=env.region,
        )
        # The container only: its value is put by hand (README), so it never passes
        # through Terraform state; External Secrets copies it into the cluster.
        aws.secretsmanager_secret.SecretsmanagerSecret(
            self,
            "flux-webhook-token",
            name=f"{secrets_prefix}flux-webhook-token",
            kms_key_id=secrets_key.arn,
            # While a deleted secret can be restored its name stays taken, so a redeploy
            # within the window fails; 0 deletes it at once (environment file).
            recovery_window_in_days=env.platform.secret_recovery_days,
            description="Shared secret of the GitHub push webhook to Flux",
        )

        def addon(id_: str, props: AddonProps, depends_on: list[Any]) -> HelmAddon:
            return HelmAddon(
                self,
                id_,
                props=props,
                cluster_name=cluster.name,
                cluster_arn=cluster.arn,
                account_id=env.account_id,
                role_name=f"{name}-{props.release}",
                depends_on=depends_on,
            )

        lbc = addon(
            "load-balancer-controller",
            load_balancer_controller.load_balancer_controller(
                cluster_name=name,
                region=env.region,
                vpc_id=network.vpc_id,
                overrides=overrides.get("aws-load-balancer-controller", {}),
            ),
            [],
        )
        eso = addon(
            "external-secrets",
            external_secrets.external_secrets(
                region=env.region,
                readable_secret_arns=[
                    database.master_secret_arn,
                    secret_prefix_arn(region=env.region, account_id=env.account_id, prefix=secrets_prefix),
                ],
                key_arns=[database.key_arn, secrets_key.arn],
                overrides=overrides.get("external-secrets", {}),
            ),
            [lbc.release],
        )
        dns = addon(
            "external-dns",
            external_dns.external_dns(
                cluster_name=name,
                region=env.region,
                domain=env.domain,
                zone_id=zone.zone_id,
                zone_arn=zone.arn,
                policy=env.platform.external_dns_policy,
                overrides=overrides.get("external-dns", {}),
            ),
            [lbc.release],
        )

        namespace = kubernetes.namespace_v1.NamespaceV1(
            self,
            "flux-namespace",
            metadata={
                "name": flux.NAMESPACE,
                "labels": {
                    "app.kubernetes.io/part-of": "flux",
                    # The webhook Ingress sends ALB traffic to pod IPs; with the readiness gate a
                    # rolling update waits until the new pod is a healthy target before the old
                    # one goes. https://kubernetes-sigs.github.io/aws-load-balancer-controller/
                    # latest/deploy/pod_readiness_gate/
                    "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                },
            },
        )
        roles = {key: addon_.role.arn for key, addon_ in (("lbc", lbc), ("dns", dns), ("eso", eso)) if addon_.role}
        cluster_vars = ClusterBridge(
            self,
            "bridge",
            namespace=namespace.metadata.name,
            values={
                "environment": env.name,
                "cluster_name": cluster.name,
                "aws_region": env.region,
                "aws_account_id": env.account_id,
                "vpc_id": network.vpc_id,
                "vpc_cidr": str(env.network.cidr),
                "domain": env.domain,
                "app_host": app_host,
                "flux_webhook_host": webhook_host,
                "certificate_arn": certificate.arn,
                "hosted_zone_id": zone.zone_id,
                "ingress_group": name,
                "db_host": database.address,
                "db_port": database.port,
                "db_name": database.name,
                "db_secret_arn": database.master_secret_arn,
                "secrets_prefix": secrets_prefix,
                "ecr_repository_url": registry_url,
                "load_balancer_controller_role_arn": roles["lbc"],
                "external_dns_role_arn": roles["dns"],
                "external_secrets_role_arn": roles["eso"],
            },
        )
        operator = addon(
            "flux-operator",
            flux.flux_operator(overrides=overrides.get("flux-operator", {})),
            [namespace, lbc.release, eso.release, dns.release],
        )
        addon(
            "flux-instance",
            flux.flux_instance(
                repository_url=env.platform.flux.sync_url(repository=env.repository),
                branch=env.platform.flux.branch,
                path=f"clusters/{env.name}",
                git_credential=env.platform.flux.git_credential,
                image_repository_arn=registry_arn if env.platform.flux.image_automation else None,
                overrides=overrides.get("flux-instance", {}),
            ),
            [operator.release, cluster_vars.config_map],
        )
        self.output("certificate_arn", certificate.arn, "ACM certificate of the app and webhook host names")
        self.output(
            "bridge_config_map", f"{bridge.NAMESPACE}/{bridge.NAME}", "ConfigMap that hands these facts to Flux"
        )
