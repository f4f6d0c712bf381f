# -*- coding: utf-8 -*-
"""lifeworld.production.ecr_repository_tags against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import ecr_repository_tags

REPOS = ["life-world-os/backend", "life-world-os/frontend"]


@pytest.fixture
def ecr(aws):
    client = aws.client("ecr")
    for name in REPOS:
        client.create_repository(repositoryName=name, tags=[{"Key": "Owner", "Value": "someone"}])
    return client


def tags_of(ecr, name):
    arn = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryArn"]
    return {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}


def test_sets_and_purges_then_converges(ecr, run_module):
    args = {"repository_names": REPOS, "tags": {"Project": "life-world-os", "Environment": "production"}}
    first = run_module(ecr_repository_tags, args, diff=True)
    assert first["changed"] is True, first
    for name in REPOS:
        assert tags_of(ecr, name) == {"Project": "life-world-os", "Environment": "production"}
    assert first["diff"]["before"][REPOS[0]] == {"Owner": "someone"}
    assert [r["tags"] for r in first["repositories"]] == [args["tags"]] * 2
    second = run_module(ecr_repository_tags, args)
    assert second["changed"] is False, second


def test_purge_false_keeps_other_tags_and_changes_values(ecr, run_module):
    result = run_module(ecr_repository_tags, {"repository_names": REPOS[:1], "tags": {"Owner": "platform"},
                                              "purge_tags": False})
    assert result["changed"] is True
    assert tags_of(ecr, REPOS[0]) == {"Owner": "platform"}
    assert tags_of(ecr, REPOS[1]) == {"Owner": "someone"}


def test_check_mode_reports_and_changes_nothing(ecr, run_module):
    result = run_module(ecr_repository_tags, {"repository_names": REPOS, "tags": {"Project": "x"}}, check_mode=True)
    assert result["changed"] is True
    assert result["repositories"][0]["tags"] == {"Project": "x"}
    assert all(tags_of(ecr, name) == {"Owner": "someone"} for name in REPOS)


def test_missing_repository_fails_naming_it(ecr, run_module):
    result = run_module(ecr_repository_tags, {"repository_names": ["life-world-os/nope"], "tags": {"A": "b"}})
    assert result.get("failed") and "life-world-os/nope does not exist" in result["msg"]


def test_without_tags_only_reports(ecr, run_module):
    result = run_module(ecr_repository_tags, {"repository_names": REPOS})
    assert result["changed"] is False
    assert [r["tags"] for r in result["repositories"]] == [{"Owner": "someone"}] * 2
