"""Observability on managed AWS services: metrics in Amazon Managed Service for Prometheus
(scraped by its managed collector), logs in CloudWatch (Container Insights), alerts from
Prometheus rules and CloudWatch alarms to one SNS topic, and a dashboard. Nothing here
imports provider bindings at package level: `scrape_config`, `metrics` and `rules` are
plain data the system model and the tests read too."""
