# -*- coding: utf-8 -*-
"""IAM input checks: names that become ARNs, and the inventory's extra statements for the task role."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.iam import iam_name_problems, iam_statement_problems

VAR = "iam_task_role_statements"


def test_contract_names_are_valid():
    assert iam_name_problems(["life-world-os/backend", "life-world-os/frontend"], "v", "ecr_repository") == []
    assert iam_name_problems(["/ecs/life-world-os-production/backend"], "v", "log_group") == []
    assert iam_name_problems(["life-world-os/production/db-master"], "v", "secret") == []


@pytest.mark.parametrize(
    "names,kind,fragment",
    [
        (["Life-World/Backend"], "ecr_repository", "v[0]"),
        (["life-world-os//backend"], "ecr_repository", "v[0]"),
        (["life-world-os/production/*"], "secret", "v[0]"),
        (["a", "b?"], "secret", "v[1]"),
        (["/ecs/x backend"], "log_group", "v[0]"),
        (["same", "same"], "secret", "must not repeat"),
    ],
)
def test_bad_names_are_reported_with_their_index(names, kind, fragment):
    problems = iam_name_problems(names, "v", kind)
    assert any(fragment in p for p in problems), problems


def test_a_string_instead_of_a_list_is_reported():
    assert iam_name_problems("life-world-os/backend", "v", "ecr_repository")[0].startswith("v: must be a list")
    assert iam_statement_problems({"Effect": "Allow"}, VAR)[0].startswith(VAR + ": must be a list")


def test_a_well_formed_statement_passes():
    statements = [
        {"Sid": "ReadUploads", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": ["arn:aws:s3:::uploads/*"], "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"},
    ]
    assert iam_statement_problems(statements, VAR) == []


@pytest.mark.parametrize(
    "statement,fragment",
    [
        ("s3:GetObject", "[0]: must be a dict"),
        ({"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}, "[0].Effect"),
        ({"Effect": "Allow", "Resource": "*"}, "exactly one of Action or NotAction"),
        ({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}, "[0].Action: 'GetObject'"),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, "whole service"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "[0].Action: '*'"),
        ({"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}, "Allow with NotAction"),
        ({"Effect": "Allow", "Action": "s3:GetObject"}, "exactly one of Resource or NotResource"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "uploads/*"}, "[0].Resource"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}, "unknown key(s) Principal"),
        ({"Sid": "read-it", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "[0].Sid"),
        ({"Sid": "XRayTracesAreAccountWide", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
         "X-Ray"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": ["x"]}, "[0].Condition"),
    ],
)
def test_malformed_statements_are_reported(statement, fragment):
    problems = iam_statement_problems([statement], VAR)
    assert any(p.startswith(VAR) and fragment in p for p in problems), problems


def test_repeated_sids_are_reported():
    statement = {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert iam_statement_problems([statement, statement], VAR) == [VAR + ": Sids must be unique"]
