# -*- coding: utf-8 -*-
"""lifeworld.production.ecs_cluster_settings: moto's in-process mock, and botocore's Stubber for
UpdateClusterSettings (moto does not implement it; the Stubber checks each call against the real ECS API model)."""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.lifeworld.production.plugins.modules import ecs_cluster_settings

NAME = "life-world-os-test"
ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/" + NAME
ARGS = {
    "name": NAME,
    "container_insights": "enabled",
    "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
    "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 2}],
    "tags": {"Project": "life-world-os", "Component": "compute"},
}


def read(ecs):
    clusters = ecs.describe_clusters(clusters=[NAME], include=["SETTINGS", "TAGS"])["clusters"]
    return clusters[0] if clusters else None


def run(run_module, args, **kwargs):
    result = run_module(ecs_cluster_settings, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_sets_insights_capacity_and_tags_in_one_go(aws, run_module):
    result = run(run_module, ARGS)

    cluster = read(aws.client("ecs"))
    assert result["changed"] is True
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 2}]
    assert {t["key"]: t["value"] for t in cluster["tags"]} == ARGS["tags"]
    assert result["cluster"]["cluster_arn"] == cluster["clusterArn"]


def test_second_run_is_a_no_op(aws, run_module):
    run(run_module, ARGS)
    assert run(run_module, ARGS)["changed"] is False


def test_check_mode_on_absent_cluster_creates_nothing(aws, run_module):
    result = run(run_module, ARGS, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["container_insights"] == "enabled"
    assert read(aws.client("ecs")) is None


def test_unset_options_leave_the_cluster_alone(aws, run_module):
    run(run_module, ARGS)
    assert run(run_module, {"name": NAME})["changed"] is False


def test_capacity_and_tags_are_updated_in_place(aws, run_module):
    run(run_module, ARGS)
    args = dict(ARGS, capacity_providers=["FARGATE"], tags={"Project": "life-world-os"},
                capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1}])

    result = run(run_module, args, diff=True)

    cluster = read(aws.client("ecs"))
    assert result["changed"] is True
    assert cluster["capacityProviders"] == ["FARGATE"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert {t["key"]: t["value"] for t in cluster["tags"]} == {"Project": "life-world-os"}
    assert set(result["diff"]["after"]) == {"capacity_providers", "capacity_provider_strategy", "tags"}


def _existing(insights):
    return {"clusters": [{
        "clusterArn": ARN, "clusterName": NAME, "status": "ACTIVE",
        "settings": [{"name": "containerInsights", "value": insights}],
        "capacityProviders": ["FARGATE"],
        "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        "tags": [],
    }], "failures": []}


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    monkeypatch.setattr(ecs_cluster_settings.AnsibleAWSModule, "client", lambda self, *a, **k: client)
    with stubber:
        yield stubber


DESCRIBE = {"clusters": [NAME], "include": ["SETTINGS", "TAGS"]}
STUB_ARGS = {"name": NAME, "container_insights": "enabled", "capacity_providers": ["FARGATE"],
             "capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}], "tags": {}}


def test_insights_are_switched_on_with_update_cluster_settings(stubbed, run_module):
    stubbed.add_response("describe_clusters", _existing("disabled"), DESCRIBE)
    stubbed.add_response(
        "update_cluster_settings", {"cluster": _existing("enabled")["clusters"][0]},
        {"cluster": NAME, "settings": [{"name": "containerInsights", "value": "enabled"}]},
    )
    stubbed.add_response("describe_clusters", _existing("enabled"), DESCRIBE)

    result = run_module(ecs_cluster_settings, STUB_ARGS, diff=True)

    assert result["changed"] is True, result
    assert result["diff"] == {"before": {"container_insights": "disabled"}, "after": {"container_insights": "enabled"}}
    stubbed.assert_no_pending_responses()


def test_insights_change_in_check_mode_calls_nothing_but_describe(stubbed, run_module):
    stubbed.add_response("describe_clusters", _existing("disabled"), DESCRIBE)

    result = run_module(ecs_cluster_settings, STUB_ARGS, check_mode=True)

    assert result["changed"] is True, result
    assert result["cluster"]["container_insights"] == "enabled"
    stubbed.assert_no_pending_responses()


def test_api_error_is_reported(stubbed, run_module):
    stubbed.add_client_error("describe_clusters", "AccessDeniedException", "no ecs:DescribeClusters")

    result = run_module(ecs_cluster_settings, STUB_ARGS)

    assert result.get("failed") is True
    assert "describe cluster" in result["msg"]


# The first cluster of a fresh account: ECS creates AWSServiceRoleForECS itself and fails to assume it seconds
# later. moto never does this, so the Stubber reproduces AWS's answer.
SLR_MESSAGE = "Unable to assume the service linked role. Please verify that the ECS service linked role exists."
CREATE = {"clusterName": NAME, "settings": [{"name": "containerInsights", "value": "enabled"}],
          "capacityProviders": ["FARGATE"],
          "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]}


@pytest.fixture
def no_sleep(monkeypatch):
    from ansible_collections.lifeworld.production.plugins.module_utils import iam
    slept = []
    monkeypatch.setattr(iam.time, "sleep", slept.append)
    return slept


def test_create_retries_while_the_ecs_service_linked_role_propagates(stubbed, run_module, no_sleep):
    stubbed.add_response("describe_clusters", {"clusters": [], "failures": []}, DESCRIBE)
    stubbed.add_client_error("create_cluster", "InvalidParameterException", SLR_MESSAGE, 400, expected_params=CREATE)
    stubbed.add_response("create_cluster", {"cluster": _existing("enabled")["clusters"][0]}, CREATE)
    stubbed.add_response("describe_clusters", _existing("enabled"), DESCRIBE)

    result = run_module(ecs_cluster_settings, STUB_ARGS)

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["cluster"]["capacity_providers"] == ["FARGATE"]
    assert len(no_sleep) == 1
    stubbed.assert_no_pending_responses()


def test_a_cluster_left_without_capacity_providers_gets_them(stubbed, run_module, no_sleep, monkeypatch):
    bare = {"clusters": [dict(_existing("enabled")["clusters"][0], capacityProviders=[],
                              defaultCapacityProviderStrategy=[])], "failures": []}
    from ansible_collections.lifeworld.production.plugins.module_utils import iam
    # Past the retry budget at once: the error goes through, and the module finds the half-made cluster.
    clock = iter([0, iam.PROPAGATION_TIMEOUT + 1, 1000, 1000])
    monkeypatch.setattr(iam.time, "monotonic", lambda: next(clock))
    stubbed.add_response("describe_clusters", {"clusters": [], "failures": []}, DESCRIBE)
    stubbed.add_client_error("create_cluster", "InvalidParameterException", SLR_MESSAGE, 400, expected_params=CREATE)
    stubbed.add_response("describe_clusters", bare, DESCRIBE)
    stubbed.add_response(
        "put_cluster_capacity_providers", {"cluster": _existing("enabled")["clusters"][0]},
        {"cluster": NAME, "capacityProviders": ["FARGATE"],
         "defaultCapacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]},
    )
    stubbed.add_response("describe_clusters", _existing("enabled"), DESCRIBE)

    result = run_module(ecs_cluster_settings, STUB_ARGS)

    assert not result.get("failed"), result.get("msg")
    assert result["cluster"]["capacity_providers"] == ["FARGATE"]
    stubbed.assert_no_pending_responses()


def test_another_invalid_parameter_is_not_retried(stubbed, run_module, no_sleep):
    stubbed.add_response("describe_clusters", {"clusters": [], "failures": []}, DESCRIBE)
    stubbed.add_client_error("create_cluster", "InvalidParameterException", "Capacity provider FOO does not exist",
                             400, expected_params=CREATE)
    stubbed.add_response("describe_clusters", {"clusters": [], "failures": []}, DESCRIBE)

    result = run_module(ecs_cluster_settings, STUB_ARGS)

    assert result.get("failed") is True
    assert "Capacity provider FOO" in result["msg"]
    assert no_sleep == []
