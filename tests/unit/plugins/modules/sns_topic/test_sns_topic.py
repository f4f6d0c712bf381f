# -*- coding: utf-8 -*-
"""lifeworld.production.sns_topic against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import sns_topic

NAME = "lw-test-alerts"


@pytest.fixture
def sns(aws):
    return aws.client("sns")


@pytest.fixture
def key_arn(aws):
    return aws.client("kms").create_key(Description="alerts")["KeyMetadata"]["Arn"]


@pytest.fixture
def args(key_arn):
    return {
        "name": NAME,
        "display_name": "LW test alerts",
        "kms_master_key_id": key_arn,
        "subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"},
                          {"protocol": "https", "endpoint": "https://hooks.example.com/alerts"}],
        "tags": {"Component": "observability"},
    }


def run(run_module, module_args, **kwargs):
    result = run_module(sns_topic, module_args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def topic_arn(sns):
    arns = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":" + NAME)]
    return arns[0] if arns else None


def subscriptions(sns, arn):
    return sorted((s["Protocol"], s["Endpoint"]) for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])


def test_creates_an_encrypted_topic_with_subscriptions_and_tags(sns, args, key_arn, run_module):
    result = run(run_module, args)

    assert result["changed"] is True
    arn = topic_arn(sns)
    assert result["sns_topic"]["topic_arn"] == arn
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == key_arn and attributes["DisplayName"] == "LW test alerts"
    assert subscriptions(sns, arn) == [("email", "oncall@example.com"), ("https", "https://hooks.example.com/alerts")]
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]} == args["tags"]


def test_second_run_reports_no_change(sns, args, run_module):
    run(run_module, args)
    assert run(run_module, args)["changed"] is False


def test_check_mode_on_a_missing_topic_creates_nothing(sns, args, run_module):
    result = run(run_module, args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert topic_arn(sns) is None
    assert result["diff"]["before"] == {} and len(result["diff"]["after"]["subscriptions"]) == 2


def test_changes_are_applied_in_place(sns, args, run_module):
    run(run_module, args)
    arn = topic_arn(sns)
    changed = dict(args, display_name="Renamed", kms_master_key_id="",
                   subscriptions=[{"protocol": "email", "endpoint": "other@example.com"}], tags={"Team": "platform"})

    result = run(run_module, changed, diff=True)

    assert result["changed"] is True and topic_arn(sns) == arn
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Renamed" and not attributes.get("KmsMasterKeyId")
    assert subscriptions(sns, arn) == [("email", "other@example.com")]
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]} == {"Team": "platform"}
    assert result["diff"]["before"]["display_name"] == "LW test alerts"
    assert result["diff"]["after"]["display_name"] == "Renamed"


def test_check_mode_on_an_existing_topic_changes_nothing(sns, args, key_arn, run_module):
    run(run_module, args)
    result = run(run_module, dict(args, display_name="Other", subscriptions=[]), check_mode=True)
    assert result["changed"] is True
    arn = topic_arn(sns)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "LW test alerts"
    assert len(subscriptions(sns, arn)) == 2


def test_unset_options_leave_the_topic_alone(sns, args, run_module):
    run(run_module, args)
    assert run(run_module, {"name": NAME})["changed"] is False
    assert len(subscriptions(sns, topic_arn(sns))) == 2


def test_absent_deletes_the_topic(sns, args, run_module):
    run(run_module, args)
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True
    assert topic_arn(sns) is None
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False
