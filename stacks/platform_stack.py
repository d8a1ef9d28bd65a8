"""`<env>-platform`: the controllers that bridge AWS and Kubernetes, DNS and TLS, and the
bridge ConfigMap that hands Terraform's facts to Flux.

Order on first apply: the Load Balancer Controller is ready (its webhook answering)
before anything else starts, External Secrets and ExternalDNS next, Flux last — so the
first Ingress or ExternalSecret Flux applies from Git meets a controller that is
already there. Custom resources (ClusterSecretStore, Receiver, …) are never applied by
Terraform: Flux applies them from Git once their CRDs exist.

With `observability.enabled` also the metrics, alerts and dashboard of the environment
(stacks/constructs/observability/monitoring.py).
"""

from __future__ import annotations

from typing import Any

from constructs import Construct

from stacks import bridge
from stacks.bindings import aws, kubernetes
from stacks.config import Environment, plan_subnets
from stacks.constructs.addons import external_dns, external_secrets, flux, load_balancer_controller
from stacks.constructs.addons.external_secrets_policy import secret_prefix_arn
from stacks.constructs.addons.helm_addon import AddonProps, HelmAddon
from stacks.constructs.app_credential import AppCredentialOutputs
from stacks.constructs.certificate import DnsValidatedCertificate
from stacks.constructs.cluster_bridge import ClusterBridge
from stacks.constructs.eks_cluster import ClusterOutputs
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.hosted_zone import HostedZone
from stacks.constructs.network import NetworkOutputs
from stacks.constructs.observability.monitoring import Monitoring
from stacks.constructs.postgres import DatabaseOutputs
from stacks.environment_stack import EnvironmentStack
from stacks.naming import cluster_name, physical_name, rotation_function_name, secret_name, secrets_prefix


class PlatformStack(EnvironmentStack):
    def __init__(
        self,
        scope: Construct,
        *,
        env: Environment,
        network: NetworkOutputs,
        cluster: ClusterOutputs,
        database: DatabaseOutputs,
        app_credential: AppCredentialOutputs,
        registry_url: str,
        registry_arn: str,
    ) -> None:
        super().__init__(scope, "platform", env=env)
        self.connect_to_cluster(cluster)
        name = cluster_name(env)
        overrides = env.platform.addon_values
        app_host = f"{env.dns.app_hostname}.{env.domain}"
        webhook_host = f"{env.dns.flux_webhook_hostname}.{env.domain}"
        prefix = secrets_prefix(env)

        zone = HostedZone(
            self, "dns", domain=env.domain, create=env.dns.hosted_zone == "create", zone_name=env.dns.zone_name
        )
        certificate = DnsValidatedCertificate(self, "tls", host_names=[app_host, webhook_host], zone_id=zone.zone_id)

        secrets_key = EncryptionKey(
            self,
            "secrets-key",
            alias=physical_name(env, "platform-secrets"),
            description=f"Secrets under {prefix} in Secrets Manager",
            account_id=env.account_id,
            region=env.region,
        )
        # The containers only: their values are put by hand (first-deploy runbook), so they
        # never pass through Terraform state; External Secrets copies them into the cluster.
        for secret, description in (
            ("flux-webhook-token", "Shared secret of the GitHub push webhook to Flux"),
            ("flux-github-status-token", "GitHub credential with which Flux posts commit statuses"),
        ):
            aws.secretsmanager_secret.SecretsmanagerSecret(
                self,
                secret,
                name=secret_name(env, secret),
                kms_key_id=secrets_key.arn,
                # While a deleted secret can be restored its name stays taken, so a redeploy
                # within the window fails; 0 deletes it at once (environment file).
                recovery_window_in_days=env.platform.secret_recovery_days,
                description=description,
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
                # The app's own credential (named under the prefix too; listed so the policy
                # says what the app needs). Never the master secret: nothing in the cluster
                # may act as the database's owner.
                readable_secret_arns=[
                    app_credential.secret_arn,
                    secret_prefix_arn(region=env.region, account_id=env.account_id, prefix=prefix),
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
                "db_secret_arn": app_credential.secret_arn,
                "db_role": app_credential.role,
                "secrets_prefix": prefix,
                "github_repository_url": env.repository,
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
        if env.observability.enabled:
            # Here, not in the cluster stack: the collector needs the Kubernetes provider (its
            # way through Flux's NetworkPolicies), and the alarms the database and the VPC.
            subnets = plan_subnets(
                env.network.cidr, len(env.network.availability_zones), env.network.subnet_prefixes.model_dump()
            )
            Monitoring(
                self,
                "observability",
                spec=env.observability,
                name=physical_name(env),
                cluster_name=name,
                cluster_arn=cluster.arn,
                cluster_security_group_id=cluster.security_group_id,
                vpc_id=network.vpc_id,
                private_subnet_ids=network.private_subnet_ids,
                private_subnet_cidrs=[str(cidr) for cidr in subnets.private],
                flux_namespace=namespace,
                flux_namespace_name=flux.NAMESPACE,
                database_address=database.address,
                rotation_function_name=rotation_function_name(env),
                load_balancer_tags={"elbv2.k8s.aws/cluster": name, "ingress.k8s.aws/stack": name},
                repository=env.repository,
                branch=env.delivery.branch,
                account_id=env.account_id,
                region=env.region,
            )
        self.output("certificate_arn", certificate.arn, "ACM certificate of the app and webhook host names")
        self.output(
            "bridge_config_map", f"{bridge.NAMESPACE}/{bridge.NAME}", "ConfigMap that hands these facts to Flux"
        )
