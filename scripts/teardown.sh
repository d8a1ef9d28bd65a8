#!/usr/bin/env bash
# Tear an environment down in the order that leaves nothing behind in AWS.
#
#   scripts/teardown.sh dev            # asks before destroying
#   scripts/teardown.sh dev --yes
#
# Load balancers, their target groups and security groups, and DNS records are made by
# controllers inside the cluster, not by Terraform. Destroying the cluster first would
# orphan them and block the VPC's deletion. So: stop Flux from re-creating anything,
# delete what asks AWS for load balancers, wait until AWS has removed them, and only
# then destroy the stacks, newest layer first.
set -euo pipefail

env_name="${1:?usage: scripts/teardown.sh <environment> [--yes]}"
confirm="${2:-}"
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"  # the project's, as `make` installs it
read -r cluster region < <("$python" -c '
import sys
from pathlib import Path
from stacks.config import load_environment
from stacks.naming import cluster_name
env = load_environment(Path("environments") / f"{sys.argv[1]}.yaml")
print(cluster_name(env), env.region)' "$env_name")
wait_seconds="${TEARDOWN_WAIT_SECONDS:-900}"
poll_seconds="${TEARDOWN_POLL_SECONDS:-15}"

if [ "$confirm" != "--yes" ]; then
  read -r -p "Destroy every stack of ${env_name} (cluster ${cluster})? Type the environment name: " answer
  [ "$answer" = "$env_name" ] || { echo "aborted"; exit 1; }
fi

echo "1/5 suspend Flux so nothing is re-created"
kubectl -n flux-system annotate fluxinstance flux fluxcd.controlplane.io/reconcile=disabled --overwrite
for kind in kustomizations.kustomize.toolkit.fluxcd.io helmreleases.helm.toolkit.fluxcd.io; do
  kubectl get "$kind" --all-namespaces --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name \
    | while read -r namespace name; do
        kubectl -n "$namespace" patch "$kind" "$name" --type merge -p '{"spec":{"suspend":true}}'
      done
done

echo "2/5 delete Ingresses and LoadBalancer Services (their ALBs/NLBs and DNS records go with them)"
kubectl delete ingress --all --all-namespaces --wait=true --timeout=10m
kubectl get services --all-namespaces -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' \
  | while IFS=/ read -r namespace name; do
      [ -n "$name" ] && kubectl -n "$namespace" delete service "$name" --wait=true --timeout=10m
    done

echo "3/5 wait until AWS has removed the cluster's load balancers and target groups"
deadline=$(( $(date +%s) + wait_seconds ))
while :; do
  left="$(aws resourcegroupstaggingapi get-resources --region "$region" \
    --tag-filters "Key=elbv2.k8s.aws/cluster,Values=${cluster}" \
    --resource-type-filters elasticloadbalancing:loadbalancer elasticloadbalancing:targetgroup \
    --query 'length(ResourceTagMappingList)' --output text)"
  [ "$left" = "0" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "load balancers of ${cluster} still exist after ${wait_seconds}s; not destroying" >&2
    exit 1
  fi
  echo "   ${left} left; waiting"
  sleep "$poll_seconds"
done

echo "4/5 destroy the controllers and the pipeline"
npx --yes cdktf-cli@0.21.0 destroy "${env_name}-pipeline" "${env_name}-platform" --auto-approve

echo "5/5 destroy data, cluster and network"
npx --yes cdktf-cli@0.21.0 destroy "${env_name}-data" "${env_name}-cluster" "${env_name}-network" --auto-approve
echo "done. ${env_name}-bootstrap (state bucket, GitHub roles) is left for a last, manual destroy."
