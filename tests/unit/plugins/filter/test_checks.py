# -*- coding: utf-8 -*-
"""The failed_checks filter behind the edge roles' validate.yml."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.filter.checks import cidrs_overlap, failed_checks, invalid_ipv4_cidrs


def test_only_failed_rows_are_reported_naming_their_variable():
    rows = [["a_ok", True, "fine"], ["b_bad", False, "must be x"], ["c_bad", "False", "must be y"], ["d", "true", "z"]]
    assert failed_checks(rows) == ["b_bad: must be x", "c_bad: must be y"]


def test_malformed_rows_are_an_error():
    with pytest.raises(AnsibleFilterError):
        failed_checks([["only", "two"]])


def test_invalid_ipv4_cidrs_are_picked_out():
    values = ["203.0.113.0/24", "198.51.100.7/32", "10.0.0.1/8", "2001:db8::/32", "nonsense", "192.0.2.1"]
    assert invalid_ipv4_cidrs(values) == ["10.0.0.1/8", "2001:db8::/32", "nonsense", "192.0.2.1"]


def test_cidrs_overlap():
    assert cidrs_overlap("10.40.0.0/16", "10.40.8.0/22")
    assert not cidrs_overlap("10.40.0.0/16", "10.100.0.0/22")
    assert not cidrs_overlap("nonsense", "10.100.0.0/22")
