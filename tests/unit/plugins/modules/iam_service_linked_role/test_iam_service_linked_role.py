# -*- coding: utf-8 -*-
"""lifeworld.production.iam_service_linked_role: moto's in-process mock for creation and reuse; botocore's Stubber
for the race AWS answers with InvalidInput "has been taken" (moto never does)."""

from ansible_collections.lifeworld.production.plugins.modules import iam_service_linked_role

from ansible_collections.lifeworld.production.tests.unit.stubbed_aws import stubbed_client

SERVICES = ["ecs.amazonaws.com", "rds.amazonaws.com"]


def slr_paths(iam):
    return sorted(role["Path"] for role in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"])


def test_creates_the_missing_roles(aws, run_module):
    result = run_module(iam_service_linked_role, {"services": SERVICES})

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["created"] == SERVICES
    assert slr_paths(aws.client("iam")) == ["/aws-service-role/ecs.amazonaws.com/", "/aws-service-role/rds.amazonaws.com/"]
    assert all(role["arn"].startswith("arn:aws:iam::") for role in result["roles"])


def test_existing_roles_are_left_alone(aws, run_module):
    aws.client("iam").create_service_linked_role(AWSServiceName="ecs.amazonaws.com")

    result = run_module(iam_service_linked_role, {"services": ["ecs.amazonaws.com"]})

    assert result["changed"] is False
    assert result["created"] == []
    assert slr_paths(aws.client("iam")) == ["/aws-service-role/ecs.amazonaws.com/"]


def test_check_mode_creates_nothing(aws, run_module):
    result = run_module(iam_service_linked_role, {"services": SERVICES}, check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["before"] == {"missing": SERVICES}
    assert slr_paths(aws.client("iam")) == []


def _role(name="AWSServiceRoleForECS"):
    return {"Path": "/aws-service-role/ecs.amazonaws.com/", "RoleName": name, "RoleId": "AROAEXAMPLEEXAMPLE123",
            "Arn": f"arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/{name}",
            "CreateDate": "2026-01-01T00:00:00Z"}


def test_a_role_created_concurrently_counts_as_existing(monkeypatch, run_module):
    stubber = stubbed_client(monkeypatch, "iam")[1]
    listing = {"PathPrefix": "/aws-service-role/ecs.amazonaws.com/"}
    stubber.add_response("list_roles", {"Roles": []}, listing)
    stubber.add_client_error(
        "create_service_linked_role", "InvalidInput",
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
        400, expected_params={"AWSServiceName": "ecs.amazonaws.com"},
    )
    stubber.add_response("list_roles", {"Roles": [_role()]}, listing)

    result = run_module(iam_service_linked_role, {"services": ["ecs.amazonaws.com"]})

    assert not result.get("failed"), result.get("msg")
    assert result["roles"] == [{"service": "ecs.amazonaws.com", "role_name": "AWSServiceRoleForECS",
                                "arn": _role()["Arn"]}]
    stubber.assert_no_pending_responses()


def test_another_invalid_input_fails(monkeypatch, run_module):
    stubber = stubbed_client(monkeypatch, "iam")[1]
    stubber.add_response("list_roles", {"Roles": []}, {"PathPrefix": "/aws-service-role/nope.amazonaws.com/"})
    stubber.add_client_error("create_service_linked_role", "InvalidInput", "Invalid service name", 400)

    result = run_module(iam_service_linked_role, {"services": ["nope.amazonaws.com"]})

    assert result.get("failed") is True
    assert "create service-linked role" in result["msg"]
