# -*- coding: utf-8 -*-
"""lifeworld.production.cloudwatchlogs_query_definition with botocore's Stubber: moto lacks the API."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import cloudwatchlogs_query_definition
from ansible_collections.lifeworld.production.tests.unit.stubbed_aws import stubbed_client

NAME = "lw-test/errors-by-service"
QUERY = "fields @timestamp, @message | filter @message like /error/"
GROUPS = ["/ecs/lw-test/frontend", "/ecs/lw-test/backend"]
QID = "4ba31d63-8f0a-4ed8-9c63-0e7cd8e9c2f1"
DESCRIBE = {"queryDefinitionNamePrefix": NAME, "maxResults": 1000}


@pytest.fixture
def stub(monkeypatch, aws):
    client, stubber = stubbed_client(monkeypatch, "logs")
    yield stubber
    stubber.assert_no_pending_responses()


def saved(name=NAME, query=QUERY, groups=("/ecs/lw-test/backend", "/ecs/lw-test/frontend"), qid=QID):
    return {"queryDefinitionId": qid, "name": name, "queryString": query, "logGroupNames": list(groups),
            "lastModified": 1700000000000}


def run(run_module, args, **kwargs):
    result = run_module(cloudwatchlogs_query_definition, args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


ARGS = {"name": NAME, "query_string": QUERY, "log_group_names": GROUPS}


def test_creates_a_missing_query(stub, run_module):
    # A longer name that shares the prefix is not a match.
    stub.add_response("describe_query_definitions", {"queryDefinitions": [saved(name=NAME + "-old", qid="x")]}, DESCRIBE)
    stub.add_response("put_query_definition", {"queryDefinitionId": QID},
                      {"name": NAME, "queryString": QUERY, "logGroupNames": sorted(GROUPS)})
    result = run(run_module, ARGS)
    assert result["changed"] is True
    assert result["query_definition"]["query_definition_id"] == QID


def test_follows_next_token(stub, run_module):
    stub.add_response("describe_query_definitions", {"queryDefinitions": [], "nextToken": "t1"}, DESCRIBE)
    stub.add_response("describe_query_definitions", {"queryDefinitions": [saved()]}, dict(DESCRIBE, nextToken="t1"))
    assert run(run_module, ARGS)["changed"] is False


def test_same_definition_in_other_group_order_is_no_change(stub, run_module):
    stub.add_response("describe_query_definitions", {"queryDefinitions": [saved()]}, DESCRIBE)
    result = run(run_module, ARGS)
    assert result["changed"] is False and result["query_definition"]["query_definition_id"] == QID


def test_changed_query_updates_the_same_definition(stub, run_module):
    stub.add_response("describe_query_definitions", {"queryDefinitions": [saved(query="fields @message")]}, DESCRIBE)
    stub.add_response("put_query_definition", {"queryDefinitionId": QID},
                      {"name": NAME, "queryDefinitionId": QID, "queryString": QUERY, "logGroupNames": sorted(GROUPS)})
    result = run(run_module, ARGS, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"query_string": "fields @message"}, "after": {"query_string": QUERY}}


def test_check_mode_makes_no_put(stub, run_module):
    # Stubber fails on any call not queued: only the describe is allowed.
    stub.add_response("describe_query_definitions", {"queryDefinitions": []}, DESCRIBE)
    result = run(run_module, ARGS, check_mode=True)
    assert result["changed"] is True and "query_definition_id" not in result["query_definition"]


def test_absent_deletes_every_query_of_that_name(stub, run_module):
    stub.add_response("describe_query_definitions", {"queryDefinitions": [saved(), saved(qid="dup")]}, DESCRIBE)
    stub.add_response("delete_query_definition", {"success": True}, {"queryDefinitionId": QID})
    stub.add_response("delete_query_definition", {"success": True}, {"queryDefinitionId": "dup"})
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is True


def test_absent_when_missing_is_no_change(stub, run_module):
    stub.add_response("describe_query_definitions", {"queryDefinitions": []}, DESCRIBE)
    assert run(run_module, {"name": NAME, "state": "absent"})["changed"] is False


def test_api_error_fails_with_message(stub, run_module):
    stub.add_client_error("describe_query_definitions", "AccessDeniedException", "not allowed", 400,
                          expected_params=DESCRIBE)
    result = run_module(cloudwatchlogs_query_definition, ARGS)
    assert result.get("failed") and "describe query definitions" in result["msg"]
