#!/usr/bin/env bash
# Roll production back (the plan's rollback-prod.sh): every service, or the ones named, to the task-definition
# revision before the current one, or to a named revision.
# Usage: scripts/rollback-prod.sh [revision|previous] [backend] [frontend]   Runbook: docs/runbooks/rollback.md
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
revision=${1:-previous}; [ $# -gt 0 ] && shift
[ "$revision" = previous ] && revision=""
if [ $# -eq 0 ]; then
  services='["backend","frontend"]'
else
  services=$(printf '"%s",' "$@"); services="[${services%,}]"
fi
playbook=${ANSIBLE_PLAYBOOK:-$( [ -x .venv/bin/ansible-playbook ] && echo .venv/bin/ansible-playbook || echo ansible-playbook )}
exec "$playbook" -i "${LWO_INVENTORY:-inventories/production}" playbooks/rollback.yml \
  -e "{\"rollback_revision\": \"$revision\", \"rollback_services\": $services}"
