"""IAM policy of the AWS Load Balancer Controller (upstream docs/install/iam_policy.json, v2.14).

Reads are account-wide, as the controller discovers subnets, certificates and existing
load balancers. Everything that creates, changes or deletes is conditioned on the
`elbv2.k8s.aws/cluster` tag the controller puts on what it owns, so it can only touch
load balancers, target groups and security groups that a Kubernetes cluster created.
"""

from __future__ import annotations

from stacks.constructs.iam import Statement

CLUSTER_TAG = "elbv2.k8s.aws/cluster"
OWNED_BY_A_CLUSTER = {"test": "Null", "variable": f"aws:ResourceTag/{CLUSTER_TAG}", "values": ["false"]}
TAGGED_AT_CREATION = {"test": "Null", "variable": f"aws:RequestTag/{CLUSTER_TAG}", "values": ["false"]}
NOT_RETAGGING_OWNER = {"test": "Null", "variable": f"aws:RequestTag/{CLUSTER_TAG}", "values": ["true"]}
LOAD_BALANCERS_AND_TARGET_GROUPS = [
    "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
]


def load_balancer_controller_statements() -> list[Statement]:
    return [
        {
            "sid": "CreateElbServiceLinkedRole",
            "actions": ["iam:CreateServiceLinkedRole"],
            "resources": ["*"],
            "condition": [
                {
                    "test": "StringEquals",
                    "variable": "iam:AWSServiceName",
                    "values": ["elasticloadbalancing.amazonaws.com"],
                }
            ],
        },
        {
            "sid": "Discover",
            "actions": [
                *(
                    f"ec2:{action}"
                    for action in (
                        "DescribeAccountAttributes",
                        "DescribeAddresses",
                        "DescribeAvailabilityZones",
                        "DescribeInternetGateways",
                        "DescribeVpcs",
                        "DescribeVpcPeeringConnections",
                        "DescribeSubnets",
                        "DescribeSecurityGroups",
                        "DescribeInstances",
                        "DescribeNetworkInterfaces",
                        "DescribeTags",
                        "GetCoipPoolUsage",
                        "DescribeCoipPools",
                        "GetSecurityGroupsForVpc",
                        "DescribeIpamPools",
                        "DescribeRouteTables",
                    )
                ),
                *(
                    f"elasticloadbalancing:{action}"
                    for action in (
                        "DescribeLoadBalancers",
                        "DescribeLoadBalancerAttributes",
                        "DescribeListeners",
                        "DescribeListenerCertificates",
                        "DescribeSSLPolicies",
                        "DescribeRules",
                        "DescribeTargetGroups",
                        "DescribeTargetGroupAttributes",
                        "DescribeTargetHealth",
                        "DescribeTags",
                        "DescribeTrustStores",
                        "DescribeListenerAttributes",
                        "DescribeCapacityReservation",
                    )
                ),
                "cognito-idp:DescribeUserPoolClient",
                "acm:ListCertificates",
                "acm:DescribeCertificate",
                "iam:ListServerCertificates",
                "iam:GetServerCertificate",
                "waf-regional:GetWebACL",
                "waf-regional:GetWebACLForResource",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "shield:GetSubscriptionState",
                "shield:DescribeProtection",
            ],
            "resources": ["*"],
        },
        {
            "sid": "AttachWafAndShield",
            "actions": [
                "waf-regional:AssociateWebACL",
                "waf-regional:DisassociateWebACL",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:CreateProtection",
                "shield:DeleteProtection",
            ],
            "resources": ["*"],
        },
        {
            "sid": "OpenNodeSecurityGroupsToLoadBalancers",
            "actions": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            "resources": ["*"],
        },
        {"sid": "CreateSecurityGroups", "actions": ["ec2:CreateSecurityGroup"], "resources": ["*"]},
        {
            "sid": "TagNewSecurityGroups",
            "actions": ["ec2:CreateTags"],
            "resources": ["arn:aws:ec2:*:*:security-group/*"],
            "condition": [
                {"test": "StringEquals", "variable": "ec2:CreateAction", "values": ["CreateSecurityGroup"]},
                TAGGED_AT_CREATION,
            ],
        },
        {
            "sid": "RetagOwnedSecurityGroups",
            "actions": ["ec2:CreateTags", "ec2:DeleteTags"],
            "resources": ["arn:aws:ec2:*:*:security-group/*"],
            "condition": [NOT_RETAGGING_OWNER, OWNED_BY_A_CLUSTER],
        },
        {
            "sid": "ManageOwnedSecurityGroups",
            "actions": [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            "resources": ["*"],
            "condition": [OWNED_BY_A_CLUSTER],
        },
        {
            "sid": "CreateTaggedLoadBalancers",
            "actions": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            "resources": ["*"],
            "condition": [TAGGED_AT_CREATION],
        },
        {
            "sid": "ManageListenersAndRules",
            "actions": [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
            ],
            "resources": ["*"],
        },
        {
            "sid": "RetagOwnedLoadBalancers",
            "actions": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "resources": LOAD_BALANCERS_AND_TARGET_GROUPS,
            "condition": [NOT_RETAGGING_OWNER, OWNED_BY_A_CLUSTER],
        },
        {
            "sid": "TagListenersAndRules",
            "actions": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            "resources": [
                "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
            ],
        },
        {
            "sid": "ModifyOwnedLoadBalancers",
            "actions": [
                *(
                    f"elasticloadbalancing:{action}"
                    for action in (
                        "ModifyLoadBalancerAttributes",
                        "SetIpAddressType",
                        "SetSecurityGroups",
                        "SetSubnets",
                        "DeleteLoadBalancer",
                        "ModifyTargetGroup",
                        "ModifyTargetGroupAttributes",
                        "DeleteTargetGroup",
                        "ModifyListenerAttributes",
                        "ModifyCapacityReservation",
                        "ModifyIpPools",
                    )
                )
            ],
            "resources": ["*"],
            "condition": [OWNED_BY_A_CLUSTER],
        },
        {
            "sid": "TagAtCreation",
            "actions": ["elasticloadbalancing:AddTags"],
            "resources": LOAD_BALANCERS_AND_TARGET_GROUPS,
            "condition": [
                {
                    "test": "StringEquals",
                    "variable": "elasticloadbalancing:CreateAction",
                    "values": ["CreateTargetGroup", "CreateLoadBalancer"],
                },
                TAGGED_AT_CREATION,
            ],
        },
        {
            "sid": "RegisterPodTargets",
            "actions": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            "resources": ["arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"],
        },
        {
            "sid": "ConfigureListeners",
            "actions": [
                "elasticloadbalancing:SetWebAcl",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
            ],
            "resources": ["*"],
        },
    ]
