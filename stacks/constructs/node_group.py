"""A managed node group on Amazon Linux 2023, launched from a hardened launch template.

The group follows the cluster's Kubernetes minor (`version`): EKS upgrades the control
plane only while every node runs its current minor, so a group left behind would stall
the next upgrade. The launch template sets no image, so EKS still picks the AMI: the
newest AL2023 release of `ami_type` for that minor (`release_version` stays unset).
"""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import Token
from constructs import Construct

from stacks.bindings import aws
from stacks.config.model import NodeGroup
from stacks.constructs.iam import ServiceRole, service_trust


class ManagedNodeGroup(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        cluster_name: str,
        kubernetes_version: str,
        spec: NodeGroup,
        subnet_ids: Sequence[str],
        account_id: str,
        instance_tags: dict[str, str],
        depends_on: Sequence[object] = (),
    ) -> None:
        super().__init__(scope, id_)
        name = f"{cluster_name}-{spec.name}"
        # Nodes may join the cluster and pull images; nothing more. The VPC CNI and every
        # other add-on get their AWS permissions through Pod Identity, not the node role.
        role = ServiceRole(
            self,
            "role",
            name=f"{name}-node",
            trust=service_trust("ec2.amazonaws.com", account_id=account_id),
            managed_policies=["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
        )
        template = aws.launch_template.LaunchTemplate(
            self,
            "launch-template",
            name=name,
            update_default_version=True,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                # One hop: the node itself and host-network pods (the Pod Identity agent,
                # aws-node) reach the instance metadata service; ordinary pods, one hop
                # further behind the pod network, cannot borrow the node's role.
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                aws.launch_template.LaunchTemplateBlockDeviceMappings(
                    device_name="/dev/xvda",
                    ebs={
                        "volume_size": spec.disk_size_gib,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                )
            ],
            monitoring={"enabled": True},
            # Provider default tags stop at the node group; instances and their disks
            # are created by the Auto Scaling group and get the tags from here.
            tag_specifications=[
                aws.launch_template.LaunchTemplateTagSpecifications(
                    resource_type=kind, tags={**instance_tags, "Name": name}
                )
                for kind in ("instance", "volume", "network-interface")
            ],
        )
        self.node_group = aws.eks_node_group.EksNodeGroup(
            self,
            "node-group",
            cluster_name=cluster_name,
            node_group_name=name,
            node_role_arn=role.arn,
            subnet_ids=list(subnet_ids),
            # Unset, the group keeps the minor it was created with (the provider checks the
            # attribute for drift only when it is configured). A new minor rolls every node
            # onto the newest AMI release for it.
            version=kubernetes_version,
            ami_type=spec.ami_type,
            capacity_type=spec.capacity_type,
            instance_types=list(spec.instance_types),
            scaling_config={"min_size": spec.min_size, "desired_size": spec.desired_size, "max_size": spec.max_size},
            # A version update starts the new nodes first, then drains the old ones one at a
            # time, each drain honouring PodDisruptionBudgets (prod's app keeps 2 of its 3
            # pods; dev runs 1 and allows 0). A third of a 2- or 3-node group is less than one
            # node; a count means the same for every size. force_update_version stays off,
            # so a drain blocked by a budget for 15 minutes fails the update instead of evicting
            # (docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html).
            update_config={"max_unavailable": 1},
            launch_template={"id": template.id, "version": Token.as_string(template.latest_version)},
            node_repair_config={"enabled": True},
            labels={"node-group": spec.name},
            # An autoscaler owns the current size once the group exists.
            lifecycle={"ignore_changes": ["scaling_config[0].desired_size"]},
            depends_on=[*role.attachments, *depends_on],
        )
