# -*- coding: utf-8 -*-
"""failed_tasks: the new revision's failed tasks end playbooks/deploy.yml's wait, named with ECS's reason."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.lifeworld.production.plugins.filter.deployment import failed_tasks

NEW, OLD = "life-world-os-production-backend:8", "life-world-os-production-backend:7"


def _service(deployments, events=(), name="backend", task_definition=NEW):
    return {"serviceName": name, "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/" + task_definition,
            "deployments": deployments, "events": list(events)}


def _deployment(revision, status="PRIMARY", failed=0, rollout="IN_PROGRESS", reason="", created="2026-11-28T20:00:00+00:00"):
    return {"status": status, "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/" + revision, "failedTasks": failed,
            "rolloutState": rollout, "rolloutStateReason": reason, "createdAt": created}


def test_failed_tasks_of_the_new_revision_at_the_limit_are_reported_with_the_newest_failure_event():
    info = {"services": [_service(
        [_deployment(NEW, failed=3), _deployment(OLD, status="ACTIVE", rollout="COMPLETED")],
        events=[{"createdAt": "2026-11-28T20:01:00+00:00", "message": "(service backend) has reached a steady state."},
                {"createdAt": "2026-11-28T20:00:30+00:00",
                 "message": "(service backend) (task 1) stopped: CannotPullContainerError: manifest unknown"},
                {"createdAt": "2026-11-28T19:00:00+00:00", "message": "(service backend) (task 0) stopped: an older failure"}])]}
    [failure] = failed_tasks(info, {"backend": NEW}, 3)
    assert failure["name"] == "backend" and failure["revision"] == NEW and failure["failed"] == 3
    assert failure["reason"] == ("3 tasks failed to start or stopped; latest: (service backend) (task 1) stopped: "
                                 "CannotPullContainerError: manifest unknown")


def test_fewer_failed_tasks_than_the_limit_keep_waiting():
    info = {"services": [_service([_deployment(NEW, failed=2), _deployment(OLD, status="ACTIVE")])]}
    assert failed_tasks(info, {"backend": NEW}, 3) == []


def test_failed_tasks_of_the_old_revision_do_not_count():
    info = {"services": [_service([_deployment(NEW), _deployment(OLD, status="ACTIVE", failed=5)])]}
    assert failed_tasks(info, {"backend": NEW}, 1) == []


def test_a_rollout_the_circuit_breaker_failed_is_reported_with_its_reason():
    reason = "ECS deployment circuit breaker: tasks failed to start."
    info = {"services": [_service([_deployment(NEW, rollout="FAILED", reason=reason)])]}
    assert failed_tasks(info, {"backend": NEW}, 3) == [
        {"name": "backend", "revision": NEW, "failed": 0, "reason": reason}]


def test_services_not_being_deployed_or_inactive_are_ignored():
    info = {"services": [_service([_deployment(NEW, failed=9)], name="frontend"),
                         dict(_service([_deployment(NEW, failed=9)]), status="DRAINING")]}
    assert failed_tasks(info, {"backend": NEW}, 1) == []


def test_a_limit_that_is_not_a_number_is_refused():
    with pytest.raises(AnsibleFilterError, match="limit"):
        failed_tasks({"services": []}, {}, "three")
