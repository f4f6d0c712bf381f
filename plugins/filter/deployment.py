# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failed tasks of a deployment (playbooks/deploy.yml): new tasks that fail to start or stop soon after are seen in
the service's deployment (failedTasks, rolloutState FAILED) long before the deployment would time out."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Service events that say why a task did not start or stopped (ECS writes them newest first).
_FAILURE_EVENT = re.compile(r"fail|stopped|unable|unhealthy|error|cannot|exception", re.I)


def _revision_of(task_definition):
    return str(task_definition or "").rsplit("/", 1)[-1]


def _deployment_of(service, revision):
    """The deployment running ``revision`` (family:revision); the PRIMARY one when none names it."""
    deployments = service.get("deployments") or []
    for deployment in deployments:
        if _revision_of(deployment.get("taskDefinition")) == revision:
            return deployment
    return next((d for d in deployments if d.get("status") == "PRIMARY"), {})


def _failure_events(service, since):
    events = []
    for event in service.get("events") or []:
        message = str(event.get("message", ""))
        created = str(event.get("createdAt", ""))
        if since and created and created < since:
            continue
        if _FAILURE_EVENT.search(message):
            events.append(message)
    return events


def failed_tasks(service_info, expected, limit=1):
    """Services whose new revision is failing: ``[{name, revision, failed, reason}]``.

    ``service_info`` is a community.aws.ecs_service_info result (``details: true``; ``events: true`` to name the
    cause); ``expected`` maps each service to the family:revision it is being moved to. A service counts once its
    deployment of that revision reports at least ``limit`` failed tasks, or its rollout FAILED (the circuit
    breaker gave up). The reason is ECS's rollout reason and the newest event naming a failure since the
    deployment began.
    """
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise AnsibleFilterError("failed_tasks: limit must be a whole number, got %r" % (limit,))
    failures = []
    for service in service_info.get("services") or []:
        name = service.get("serviceName")
        revision = (expected or {}).get(name)
        if service.get("status") != "ACTIVE" or not revision:
            continue
        deployment = _deployment_of(service, revision)
        failed = int(deployment.get("failedTasks") or 0)
        rollout_failed = deployment.get("rolloutState") == "FAILED"
        if failed < max(limit, 1) and not rollout_failed:
            continue
        reasons = ["%d task%s failed to start or stopped" % (failed, "" if failed == 1 else "s")] if failed else []
        if rollout_failed and deployment.get("rolloutStateReason"):
            reasons.append(str(deployment["rolloutStateReason"]))
        events = _failure_events(service, str(deployment.get("createdAt") or ""))
        if events:
            reasons.append("latest: " + events[0])
        failures.append({"name": name, "revision": revision, "failed": failed,
                         "reason": "; ".join(reasons) or "rollout FAILED"})
    return sorted(failures, key=lambda failure: failure["name"])


class FilterModule:
    def filters(self):
        return {"failed_tasks": failed_tasks}
