"""CloudWatch alarms on what AWS measures outside the cluster, to the alert topic: the
database, the NAT gateways, the app's load balancer, and the app credential's rotation.

The load balancer is created by the Load Balancer Controller, not by Terraform: it is
found by the tags the controller puts on it (`elbv2.k8s.aws/cluster`, and
`ingress.k8s.aws/stack` = the IngressGroup,
https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/ingress/annotations/#resource-tags),
and its alarms are made for every ARN found. Before the first Ingress exists there is
none, so the deploy after it creates them (docs/runbooks/alerts.md). NAT gateways are
found in the VPC the same way, so their alarms follow the network stack's count.

Target-group metrics (UnHealthyHostCount) exist only per target group; a Metrics Insights
query takes the worst of the load balancer's target groups without naming them
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-alarms.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf import Fn, TerraformIterator, Token
from constructs import Construct

from stacks.bindings import aws
from stacks.config.model import AlertThresholds

GIB = 1024**3
FIVE_MINUTES = 300
ONE_MINUTE = 60


def load_balancer_dimension(arn: str) -> str:
    """`app/<name>/<id>`, the LoadBalancer dimension, from the load balancer's ARN."""
    return Token.as_string(Fn.element(Fn.split(":loadbalancer/", arn), 1))


class CloudWatchAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        prefix: str,
        topic_arn: str,
        thresholds: AlertThresholds,
        database_identifier: str,
        vpc_id: str,
        load_balancer_tags: Mapping[str, str],
        rotation_function_name: str,
    ) -> None:
        super().__init__(scope, id_)
        self._prefix = prefix
        self._topic_arn = topic_arn
        database = {"DBInstanceIdentifier": database_identifier}
        self._alarm(
            "database-cpu",
            "AWS/RDS",
            "CPUUtilization",
            database,
            statistic="Average",
            threshold=thresholds.database_cpu_percent,
            periods=3,
            description=f"PostgreSQL CPU above {thresholds.database_cpu_percent} % for 15 minutes",
        )
        self._alarm(
            "database-storage",
            "AWS/RDS",
            "FreeStorageSpace",
            database,
            statistic="Minimum",
            threshold=thresholds.database_free_storage_gib * GIB,
            comparison="LessThanThreshold",
            periods=1,
            description=f"PostgreSQL has less than {thresholds.database_free_storage_gib} GiB free",
        )
        self._alarm(
            "database-connections",
            "AWS/RDS",
            "DatabaseConnections",
            database,
            statistic="Maximum",
            threshold=thresholds.database_connections,
            periods=3,
            description=f"More than {thresholds.database_connections} PostgreSQL connections for 15 minutes",
        )
        self._alarm(
            "credential-rotation",
            "AWS/Lambda",
            "Errors",
            {"FunctionName": rotation_function_name},
            statistic="Sum",
            threshold=0,
            periods=1,
            description="The app credential's rotation function failed: the secret may be left half-rotated",
        )
        nats = aws.data_aws_nat_gateways.DataAwsNatGateways(
            self,
            "nat-gateways",
            vpc_id=vpc_id,
            filter=[aws.data_aws_nat_gateways.DataAwsNatGatewaysFilter(name="state", values=["available"])],
        )
        each_nat = TerraformIterator.from_list(nats.ids)
        nat = {"NatGatewayId": Token.as_string(each_nat.value)}
        self._alarm(
            "nat-port-allocation",
            "AWS/NATGateway",
            "ErrorPortAllocation",
            nat,
            statistic="Sum",
            threshold=0,
            periods=1,
            description="A NAT gateway could not allocate a source port: connections out of the VPC fail",
            each=each_nat,
            suffix=Token.as_string(each_nat.value),
        )
        self._alarm(
            "nat-dropped-packets",
            "AWS/NATGateway",
            "PacketsDropCount",
            nat,
            statistic="Sum",
            threshold=thresholds.nat_dropped_packets_per_minute * 5,
            periods=1,
            description=f"A NAT gateway drops more than {thresholds.nat_dropped_packets_per_minute} packets a minute",
            each=each_nat,
            suffix=Token.as_string(each_nat.value),
        )
        load_balancers = aws.data_aws_lbs.DataAwsLbs(self, "load-balancers", tags=dict(load_balancer_tags))
        self.load_balancer_arns = load_balancers.arns
        self.each_load_balancer = TerraformIterator.from_list(load_balancers.arns)
        dimension = load_balancer_dimension(Token.as_string(self.each_load_balancer.value))
        name = Fn.element(Fn.split("/", dimension), 1)
        self._alarm(
            "alb-target-5xx",
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            {"LoadBalancer": dimension},
            statistic="Sum",
            threshold=thresholds.load_balancer_5xx_per_minute,
            period=ONE_MINUTE,
            periods=5,
            datapoints=3,
            description=f"The app answers more than {thresholds.load_balancer_5xx_per_minute} 5xx a minute",
            each=self.each_load_balancer,
            suffix=name,
        )
        self._alarm(
            "alb-response-time",
            "AWS/ApplicationELB",
            "TargetResponseTime",
            {"LoadBalancer": dimension},
            extended_statistic="p99",
            threshold=thresholds.load_balancer_response_seconds,
            period=ONE_MINUTE,
            periods=5,
            datapoints=3,
            description=f"p99 of the app's response time above {thresholds.load_balancer_response_seconds} s",
            each=self.each_load_balancer,
            suffix=name,
        )
        unhealthy = Fn.format(
            Fn.raw_string(
                'SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/ApplicationELB", LoadBalancer, TargetGroup) '
                "WHERE LoadBalancer = '%s'"
            ),
            [dimension],
        )
        aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
            self,
            "alb-unhealthy-hosts",
            for_each=self.each_load_balancer,
            alarm_name=Fn.join("-", [prefix, "alb-unhealthy-hosts", name]),
            alarm_description="A target of the app's load balancer fails its health check",
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=3,
            metric_query=[
                aws.cloudwatch_metric_alarm.CloudwatchMetricAlarmMetricQuery(
                    id="unhealthy", expression=unhealthy, period=ONE_MINUTE, return_data=True
                )
            ],
            treat_missing_data="notBreaching",
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
        )

    def _alarm(
        self,
        id_: str,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, str],
        *,
        threshold: float,
        periods: int,
        description: str,
        statistic: str | None = None,
        extended_statistic: str | None = None,
        comparison: str = "GreaterThanThreshold",
        period: int = FIVE_MINUTES,
        datapoints: int | None = None,
        each: Any = None,
        suffix: str | None = None,
    ) -> Any:
        name = Fn.join("-", [self._prefix, id_, suffix]) if suffix is not None else f"{self._prefix}-{id_}"
        return aws.cloudwatch_metric_alarm.CloudwatchMetricAlarm(
            self,
            id_,
            for_each=each,
            alarm_name=name,
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dict(dimensions),
            statistic=statistic,
            extended_statistic=extended_statistic,
            comparison_operator=comparison,
            threshold=threshold,
            period=period,
            evaluation_periods=periods,
            datapoints_to_alarm=datapoints,
            # No data is no load (or no load balancer yet), not an incident.
            treat_missing_data="notBreaching",
            alarm_actions=[self._topic_arn],
            ok_actions=[self._topic_arn],
        )
