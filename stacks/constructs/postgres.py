"""RDS PostgreSQL whose master password never passes through Terraform.

`manage_master_user_password` makes RDS generate the password, keep it in Secrets
Manager (encrypted with this database's key) and rotate it; Terraform only ever sees the
secret's ARN. Only the app credential's rotation function reads it (app_credential.py);
the app and the cluster never do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf import Token
from constructs import Construct

from stacks.bindings import aws
from stacks.config.model import Database
from stacks.constructs.encryption_key import EncryptionKey
from stacks.constructs.iam import ServiceRole, service_trust
from stacks.constructs.log_group import encrypted_log_group

POSTGRES_PORT = 5432
LOG_EXPORTS = ("postgresql", "upgrade")
# Slow statements and schema changes are logged; every connection must use TLS.
PARAMETERS = {
    "rds.force_ssl": "1",
    "log_min_duration_statement": "1000",
    "log_statement": "ddl",
}


@dataclass(frozen=True)
class DatabaseOutputs:
    address: str
    port: str
    name: str
    master_secret_arn: str
    key_arn: str  # encrypts the database's secrets, so their readers need kms:Decrypt on it
    logs_key_arn: str  # encrypts the database's log groups
    security_group_id: str


class PostgresDatabase(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        identifier: str,
        spec: Database,
        vpc_id: str,
        subnet_ids: Sequence[str],
        client_security_group_id: str,
        account_id: str,
        region: str,
    ) -> None:
        super().__init__(scope, id_)
        key = EncryptionKey(
            self,
            "key",
            alias=identifier,
            description=f"{identifier} storage, snapshots, Performance Insights, master and app secrets",
            account_id=account_id,
            region=region,
        )
        logs_key = EncryptionKey(
            self,
            "logs-key",
            alias=f"{identifier}-logs",
            description=f"{identifier} exported logs and credential rotation logs",
            account_id=account_id,
            region=region,
            for_cloudwatch_logs=True,
        )
        log_groups = [
            encrypted_log_group(
                self,
                f"{kind}-logs",
                name=f"/aws/rds/instance/{identifier}/{kind}",
                retention_days=spec.log_retention_days,
                key_arn=logs_key.arn,
            )
            for kind in LOG_EXPORTS
        ]
        subnets = aws.db_subnet_group.DbSubnetGroup(self, "subnets", name=identifier, subnet_ids=list(subnet_ids))
        firewall = aws.security_group.SecurityGroup(
            self,
            "security-group",
            name=identifier,
            vpc_id=vpc_id,
            # Also from the credential's rotation function (its own rule); a new description
            # would replace the group, so it stays as first deployed.
            description=f"PostgreSQL {identifier}: reachable only from the EKS cluster",
        )
        aws.vpc_security_group_ingress_rule.VpcSecurityGroupIngressRule(
            self,
            "from-cluster",
            security_group_id=firewall.id,
            referenced_security_group_id=client_security_group_id,
            ip_protocol="tcp",
            from_port=POSTGRES_PORT,
            to_port=POSTGRES_PORT,
            description="PostgreSQL from EKS nodes and pods",
        )
        major = spec.engine_version.split(".")[0]
        parameters = aws.db_parameter_group.DbParameterGroup(
            self,
            "parameters",
            name=identifier,
            family=f"postgres{major}",
            parameter=[
                aws.db_parameter_group.DbParameterGroupParameter(name=name, value=value)
                for name, value in PARAMETERS.items()
            ],
        )
        monitoring = ServiceRole(
            self,
            "monitoring-role",
            name=f"{identifier}-monitoring",
            trust=service_trust("monitoring.rds.amazonaws.com", account_id=account_id),
            managed_policies=["service-role/AmazonRDSEnhancedMonitoringRole"],
        )
        self.instance = aws.db_instance.DbInstance(
            self,
            "instance",
            identifier=identifier,
            engine="postgres",
            engine_version=spec.engine_version,
            instance_class=spec.instance_class,
            allocated_storage=spec.allocated_storage_gib,
            max_allocated_storage=spec.max_allocated_storage_gib,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=spec.name,
            username=spec.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=key.arn,
            iam_database_authentication_enabled=True,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[firewall.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=spec.multi_az,
            deletion_protection=spec.deletion_protection,
            skip_final_snapshot=not spec.final_snapshot,
            final_snapshot_identifier=f"{identifier}-final" if spec.final_snapshot else None,
            backup_retention_period=spec.backup_retention_days,
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            performance_insights_retention_period=7,
            monitoring_interval=60,
            monitoring_role_arn=monitoring.arn,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            depends_on=[*log_groups, *monitoring.attachments],
        )
        self.outputs = DatabaseOutputs(
            address=self.instance.address,
            port=Token.as_string(self.instance.port),
            name=self.instance.db_name,
            master_secret_arn=self.instance.master_user_secret.get(0).secret_arn,
            key_arn=key.arn,
            logs_key_arn=logs_key.arn,
            security_group_id=firewall.id,
        )
