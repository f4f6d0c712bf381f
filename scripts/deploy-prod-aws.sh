#!/usr/bin/env bash
# Deploy an image tag to production (the plan's deploy-prod-aws.sh): promote it in ECR, roll it out, wait, check
# health, roll back automatically on failure. Usage: scripts/deploy-prod-aws.sh <image-tag> [ansible-playbook args]
# Needs the production AWS credentials in the environment. Runbook: docs/runbooks/production-deployment.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -ge 1 ] && [ -n "$1" ] || { echo "usage: $0 <image-tag> [ansible-playbook args]" >&2; exit 2; }
tag=$1; shift
playbook=${ANSIBLE_PLAYBOOK:-$( [ -x .venv/bin/ansible-playbook ] && echo .venv/bin/ansible-playbook || echo ansible-playbook )}
exec "$playbook" -i "${LWO_INVENTORY:-inventories/production}" playbooks/deploy.yml -e "deploy_image_tag=$tag" "$@"
