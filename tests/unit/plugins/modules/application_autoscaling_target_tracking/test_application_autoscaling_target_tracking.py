# -*- coding: utf-8 -*-
"""lifeworld.production.application_autoscaling_target_tracking against moto's in-process mock.

The two properties the upstream module lacks are tested first: check mode touches nothing, and a second run with
two policies on one resource is a no-op.
"""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import application_autoscaling_target_tracking as module

RESOURCE = "service/test-cluster/backend"
CPU = {"name": "backend-cpu", "predefined_metric": "ECSServiceAverageCPUUtilization", "target_value": 60}
MEMORY = {"name": "backend-memory", "predefined_metric": "ECSServiceAverageMemoryUtilization", "target_value": 75}
ARGS = {"resource_id": RESOURCE, "min_capacity": 2, "max_capacity": 10, "policies": [CPU, MEMORY]}


@pytest.fixture
def service(aws):
    """moto checks that the ECS service exists before it registers a scalable target."""
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="test-cluster")
    ecs.register_task_definition(family="backend", containerDefinitions=[{"name": "app", "image": "app:1", "memory": 512}])
    ecs.create_service(cluster="test-cluster", serviceName="backend", taskDefinition="backend", desiredCount=2)
    return aws.client("application-autoscaling")


def targets(client):
    return client.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]


def policies(client):
    return sorted(p["PolicyName"] for p in client.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"])


def run(run_module, args, **kwargs):
    result = run_module(module, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_check_mode_on_a_new_target_touches_nothing(service, run_module):
    result = run(run_module, ARGS, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"]["scalable_target"] == {"resource_id": RESOURCE, "min_capacity": 2, "max_capacity": 10}
    assert targets(service) == [] and policies(service) == []


def test_second_run_with_two_policies_is_a_no_op(service, run_module):
    assert run(run_module, ARGS)["changed"] is True

    second = run(run_module, ARGS)

    assert second["changed"] is False, second.get("diff")
    assert policies(service) == ["backend-cpu", "backend-memory"]


def test_creates_target_and_both_policies(service, run_module):
    run(run_module, ARGS)

    [target] = targets(service)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
    configs = {p["PolicyName"]: p["TargetTrackingScalingPolicyConfiguration"]
               for p in service.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]}
    assert configs["backend-cpu"]["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    assert configs["backend-memory"]["TargetValue"] == 75.0
    assert configs["backend-memory"]["ScaleInCooldown"] == 300 and configs["backend-memory"]["ScaleOutCooldown"] == 60


def test_check_mode_on_changes_touches_nothing(service, run_module):
    run(run_module, ARGS)
    changed = dict(ARGS, max_capacity=6, policies=[dict(CPU, target_value=50)])

    result = run(run_module, changed, check_mode=True, diff=True)

    assert result["changed"] is True
    assert targets(service)[0]["MaxCapacity"] == 10
    assert policies(service) == ["backend-cpu", "backend-memory"]


def test_changing_one_policy_updates_only_it_and_purges_unlisted(service, run_module):
    run(run_module, ARGS)

    result = run(run_module, dict(ARGS, max_capacity=6, policies=[dict(CPU, target_value=50)]), diff=True)

    assert result["changed"] is True
    assert targets(service)[0]["MaxCapacity"] == 6
    assert policies(service) == ["backend-cpu"]
    [cpu] = service.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert cpu["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 50.0


def test_purge_policies_false_keeps_unlisted(service, run_module):
    run(run_module, ARGS)

    result = run(run_module, dict(ARGS, policies=[CPU], purge_policies=False))

    assert result["changed"] is False
    assert policies(service) == ["backend-cpu", "backend-memory"]


def test_present_without_capacity_fails_by_the_argument_spec(aws, run_module):
    args = {k: v for k, v in ARGS.items() if k != "max_capacity"}

    result = run_module(module, args)

    assert result.get("failed") is True
    assert "state is present but all of the following are missing: max_capacity" in result["msg"]


def test_min_above_max_fails_before_any_call(aws, run_module):
    result = run_module(module, dict(ARGS, min_capacity=11))

    assert result.get("failed") is True and "min_capacity (11) is above max_capacity (10)" in result["msg"]


def test_absent_removes_policies_and_target(service, run_module):
    run(run_module, ARGS)

    assert run(run_module, {"resource_id": RESOURCE, "state": "absent"})["changed"] is True
    assert targets(service) == [] and policies(service) == []
    assert run(run_module, {"resource_id": RESOURCE, "state": "absent"})["changed"] is False
