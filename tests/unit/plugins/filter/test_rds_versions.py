# -*- coding: utf-8 -*-
"""rds_engine_version_problem against the shape amazon.aws.rds_engine_versions_info returns (moto does not
implement DescribeDBEngineVersions, so the answer is written here as AWS gives it)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.filter.rds_versions import rds_engine_version_problem

OFFERED = [{"engine": "postgres", "engine_version": v, "db_parameter_group_family": "postgres" + v.split(".", maxsplit=1)[0]}
           for v in ("15.10", "16.6", "16.8", "16.10", "17.2")]


@pytest.mark.parametrize("wanted", ["16", "16.8", "17.2", 16])
def test_offered_versions_and_majors_pass(wanted):
    assert rds_engine_version_problem(OFFERED, wanted) == ""


def test_a_retired_minor_names_the_minors_offered():
    problem = rds_engine_version_problem(OFFERED, "16.4", "eu-west-1")
    assert problem == ("rds_engine_version: RDS cannot create PostgreSQL 16.4 in eu-west-1; it offers 16.6, 16.8, "
                       "16.10 (or give the major version 16 alone and RDS picks its default minor)")


def test_an_unknown_major_names_the_majors_offered():
    assert rds_engine_version_problem(OFFERED, "13") == \
        "rds_engine_version: RDS offers no PostgreSQL 13; its major versions: 15, 16, 17"


def test_an_empty_answer_fails_instead_of_passing():
    assert "cannot be checked" in rds_engine_version_problem([], "16")


def test_a_wrong_input_is_an_error():
    with pytest.raises(AnsibleFilterError):
        rds_engine_version_problem({"db_engine_versions": []}, "16")
