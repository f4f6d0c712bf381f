# -*- coding: utf-8 -*-
"""lifeworld.production.ec2_vpc_flow_log against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import ec2_vpc_flow_log

LOG_GROUP = "/lifeworld/test/vpc-flow-logs"
ROLE_ARN = "arn:aws:iam::123456789012:role/lifeworld-test-flow-logs"
BUCKET = "lifeworld-test-flow-logs"


@pytest.fixture
def ec2(aws):
    return aws.client("ec2")


@pytest.fixture
def vpc_id(aws, ec2):
    aws.client("logs").create_log_group(logGroupName=LOG_GROUP)
    return ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]


@pytest.fixture
def args(vpc_id):
    return {
        "resource_id": vpc_id,
        "log_group_name": LOG_GROUP,
        "deliver_logs_permission_arn": ROLE_ARN,
        "traffic_type": "ALL",
        "max_aggregation_interval": 60,
        "tags": {"Project": "lifeworld", "Component": "network"},
    }


def flow_logs_of(ec2, vpc_id):
    return ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]


def run(run_module, args, **kwargs):
    result = run_module(ec2_vpc_flow_log, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def test_create_makes_one_flow_log_with_requested_attributes(ec2, vpc_id, args, run_module):
    result = run(run_module, args)

    assert result["changed"] is True
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["MaxAggregationInterval"] == 60
    assert flow_log["LogGroupName"] == LOG_GROUP
    assert flow_log["DeliverLogsPermissionArn"] == ROLE_ARN
    assert {t["Key"]: t["Value"] for t in flow_log["Tags"]} == args["tags"]
    returned = result["flow_log"]
    assert returned["flow_log_id"] == flow_log["FlowLogId"]
    assert returned["max_aggregation_interval"] == 60
    assert returned["tags"] == args["tags"]  # a dict, not a boto3 list
    assert result["deliver_logs_status"] == "SUCCESS"


def test_second_run_reports_no_change_and_keeps_the_same_flow_log(ec2, vpc_id, args, run_module):
    first = run(run_module, args)
    second = run(run_module, args)

    assert second["changed"] is False
    assert second["flow_log"]["flow_log_id"] == first["flow_log"]["flow_log_id"]
    assert len(flow_logs_of(ec2, vpc_id)) == 1


def test_unset_options_leave_an_existing_flow_log_alone(ec2, vpc_id, args, run_module):
    run(run_module, args)
    minimal = {"resource_id": vpc_id, "log_group_name": LOG_GROUP, "deliver_logs_permission_arn": ROLE_ARN}

    result = run(run_module, minimal)

    assert result["changed"] is False
    assert result["flow_log"]["max_aggregation_interval"] == 60


def test_check_mode_on_absent_reports_change_and_creates_nothing(ec2, vpc_id, args, run_module):
    result = run(run_module, args, check_mode=True)

    assert result["changed"] is True
    assert flow_logs_of(ec2, vpc_id) == []
    assert result["flow_log"]["traffic_type"] == "ALL"
    assert "flow_log_id" not in result["flow_log"]


def test_check_mode_on_converged_flow_log_reports_no_change(ec2, vpc_id, args, run_module):
    run(run_module, args)

    result = run(run_module, args, check_mode=True)

    assert result["changed"] is False


def test_check_mode_on_immutable_change_reports_replacement_and_touches_nothing(ec2, vpc_id, args, run_module):
    flow_log_id = run(run_module, args)["flow_log"]["flow_log_id"]

    result = run(run_module, dict(args, traffic_type="REJECT"), check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["replaced_flow_log_id"] == flow_log_id
    assert result["diff"]["after"]["traffic_type"] == "REJECT"
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert (flow_log["FlowLogId"], flow_log["TrafficType"]) == (flow_log_id, "ALL")


def test_diff_on_create_shows_empty_before_and_full_after(vpc_id, args, run_module):
    result = run(run_module, args, diff=True)

    assert result["diff"]["before"] == {}
    after = result["diff"]["after"]
    assert after["resource_id"] == vpc_id
    assert after["traffic_type"] == "ALL"
    assert after["max_aggregation_interval"] == 60
    assert after["tags"] == args["tags"]


def test_diff_on_tag_change_shows_only_tags(args, run_module):
    run(run_module, args)

    result = run(run_module, dict(args, tags={"Project": "lifeworld", "Component": "observability"}), diff=True)

    assert result["diff"] == {
        "before": {"tags": {"Project": "lifeworld", "Component": "network"}},
        "after": {"tags": {"Project": "lifeworld", "Component": "observability"}},
    }


def test_no_diff_key_without_diff_mode(args, run_module):
    assert "diff" not in run(run_module, args)


def test_tag_update_with_purge_tags_false_adds_and_keeps_existing_tags(ec2, vpc_id, args, run_module):
    flow_log_id = run(run_module, args)["flow_log"]["flow_log_id"]

    result = run(run_module, dict(args, tags={"Owner": "platform"}, purge_tags=False))

    assert result["changed"] is True
    expected = {"Project": "lifeworld", "Component": "network", "Owner": "platform"}
    assert result["flow_log"]["tags"] == expected
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert flow_log["FlowLogId"] == flow_log_id  # tags change in place, no replacement
    assert {t["Key"]: t["Value"] for t in flow_log["Tags"]} == expected
    again = run(run_module, dict(args, tags={"Owner": "platform"}, purge_tags=False))
    assert again["changed"] is False


def test_tag_update_with_purge_tags_true_removes_unlisted_tags(ec2, vpc_id, args, run_module):
    run(run_module, args)

    result = run(run_module, dict(args, tags={"Owner": "platform"}))

    assert result["changed"] is True
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert {t["Key"]: t["Value"] for t in flow_log["Tags"]} == {"Owner": "platform"}


@pytest.mark.parametrize(
    "change",
    [{"traffic_type": "REJECT"}, {"max_aggregation_interval": 600}, {"log_format": "${srcaddr} ${dstaddr} ${action}"}],
    ids=["traffic_type", "max_aggregation_interval", "log_format"],
)
def test_immutable_change_replaces_the_flow_log_and_keeps_tags(ec2, vpc_id, args, run_module, change):
    old_id = run(run_module, args)["flow_log"]["flow_log_id"]
    desired = dict(args, **change)
    desired.pop("tags")  # unset tags: the replacement carries the old ones over

    result = run(run_module, desired, diff=True)

    assert result["changed"] is True
    assert result["replaced_flow_log_id"] == old_id
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert flow_log["FlowLogId"] != old_id
    assert flow_log["FlowLogId"] == result["flow_log"]["flow_log_id"]
    [(key, value)] = change.items()
    assert result["flow_log"][key] == value
    assert result["diff"]["after"][key] == value
    assert result["diff"]["before"][key] == args.get(key, result["diff"]["before"][key])
    assert {t["Key"]: t["Value"] for t in flow_log["Tags"]} == args["tags"]
    assert run(run_module, desired)["changed"] is False


def test_state_absent_deletes_the_flow_log(ec2, vpc_id, args, run_module):
    run(run_module, args)

    result = run(run_module, dict(args, state="absent"), diff=True)

    assert result["changed"] is True
    assert flow_logs_of(ec2, vpc_id) == []
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["resource_id"] == vpc_id


def test_state_absent_in_check_mode_keeps_the_flow_log(ec2, vpc_id, args, run_module):
    run(run_module, args)

    result = run(run_module, dict(args, state="absent"), check_mode=True)

    assert result["changed"] is True
    assert len(flow_logs_of(ec2, vpc_id)) == 1


def test_state_absent_again_reports_no_change(ec2, vpc_id, args, run_module):
    run(run_module, args)
    run(run_module, dict(args, state="absent"))

    result = run(run_module, dict(args, state="absent"))

    assert result["changed"] is False
    assert result["flow_log"] == {}


def test_s3_destination_is_managed_by_its_arn(aws, ec2, vpc_id, run_module):
    aws.client("s3").create_bucket(Bucket=BUCKET)
    s3_args = {
        "resource_id": vpc_id,
        "log_destination_type": "s3",
        "log_destination": f"arn:aws:s3:::{BUCKET}",
        "traffic_type": "REJECT",
    }

    assert run(run_module, s3_args)["changed"] is True
    assert run(run_module, s3_args)["changed"] is False
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert (flow_log["LogDestinationType"], flow_log["TrafficType"]) == ("s3", "REJECT")


def test_missing_log_group_is_reported_as_failed_delivery_with_a_warning(ec2, vpc_id, args, run_module):
    result = run(run_module, dict(args, log_group_name="/lifeworld/test/does-not-exist"))

    assert result["changed"] is True
    assert result["deliver_logs_status"] == "FAILED"
    assert any("cannot deliver its logs" in warning for warning in result.get("warnings", []))


@pytest.mark.parametrize(
    "bad_args, message",
    [
        ({"log_group_name": None}, "log_group_name"),
        ({"deliver_logs_permission_arn": None}, "deliver_logs_permission_arn"),
        ({"log_destination_type": "s3", "log_destination": "arn:aws:s3:::bucket"}, "log_group_name is for"),
        ({"max_aggregation_interval": 30}, "max_aggregation_interval"),
    ],
    ids=["cwl_without_log_group", "cwl_without_role", "s3_with_log_group", "bad_interval"],
)
def test_bad_input_fails_with_a_message_naming_the_option(ec2, vpc_id, args, run_module, bad_args, message):
    desired = {key: value for key, value in dict(args, **bad_args).items() if value is not None}

    result = run_module(ec2_vpc_flow_log, desired)

    assert result["failed"] is True
    assert message in result["msg"]
    assert flow_logs_of(ec2, vpc_id) == []


def test_unknown_vpc_fails_with_the_aws_error(args, run_module):
    result = run_module(ec2_vpc_flow_log, dict(args, resource_id="vpc-0000000000000000f"))

    assert result["failed"] is True
    assert result["msg"].startswith("Failed to create flow log")


def refuse_the_role_first(monkeypatch, times):
    """AWS answers CreateFlowLogs with InvalidParameter while a role created seconds ago has not propagated; moto
    checks no role, so the answer is injected (before-call short-circuits the request) and moto serves the rest."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
    from ansible_collections.lifeworld.production.plugins.module_utils import iam
    refused, slept = [], []
    monkeypatch.setattr(iam.time, "sleep", slept.append)
    original = AnsibleAWSModule.client

    def refuse(**kwargs):
        if len(refused) < times:
            refused.append(kwargs["params"])
            body = {"Error": {"Code": "InvalidParameter", "Message": f"Unable to assume given IAM role: '{ROLE_ARN}'"}}
            return type("Response", (), {"status_code": 400, "headers": {}})(), body
        return None

    def client(self, *args, **kwargs):
        made = original(self, *args, **kwargs)
        made.meta.events.register("before-call.ec2.CreateFlowLogs", refuse)
        return made

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    return refused, slept


def test_a_role_iam_has_not_propagated_is_retried(ec2, vpc_id, args, run_module, monkeypatch):
    refused, slept = refuse_the_role_first(monkeypatch, times=2)

    result = run(run_module, args)

    assert len(refused) == 2
    assert len(slept) == 2
    [flow_log] = flow_logs_of(ec2, vpc_id)
    assert result["flow_log"]["flow_log_id"] == flow_log["FlowLogId"]


def test_a_role_that_never_becomes_assumable_fails_in_the_end(ec2, vpc_id, args, run_module, monkeypatch):
    from ansible_collections.lifeworld.production.plugins.module_utils import iam
    refuse_the_role_first(monkeypatch, times=1000)
    clock = iter(range(0, 100000, 60))
    monkeypatch.setattr(iam.time, "monotonic", lambda: next(clock))

    result = run_module(ec2_vpc_flow_log, args)

    assert result.get("failed") is True
    assert "Unable to assume given IAM role" in result["msg"]
    assert flow_logs_of(ec2, vpc_id) == []
