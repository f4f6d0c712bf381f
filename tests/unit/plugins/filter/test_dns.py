# -*- coding: utf-8 -*-
"""The dns_problems filter that guards the acm and route53 roles before any AWS call."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.dns import dns_problems, in_zone

ZONE = "lifeworld.example.com"


@pytest.mark.parametrize("name", ["lifeworld.example.com", "app.lifeworld.example.com", "A.LifeWorld.Example.com."])
def test_names_in_the_zone_pass(name):
    assert in_zone(name, ZONE)
    assert dns_problems({"route53_record_name": name}, ZONE) == []


def test_a_wildcard_in_the_zone_passes():
    assert dns_problems({"acm_subject_alternative_names": ["*.lifeworld.example.com"]}, ZONE) == []


@pytest.mark.parametrize("name", ["evil.com", "lifeworld.example.com.evil.com", "notlifeworld.example.com"])
def test_names_outside_the_zone_are_named_with_their_variable(name):
    [problem] = dns_problems({"route53_record_name": name}, ZONE)
    assert problem.startswith("route53_record_name:") and "outside the hosted zone" in problem


def test_list_entries_are_named_with_their_index():
    problems = dns_problems({"acm_subject_alternative_names": ["www.lifeworld.example.com", "x.other.org"]}, ZONE)
    assert problems == [
        "acm_subject_alternative_names[1]: 'x.other.org' lies outside the hosted zone route53_zone_name "
        "'lifeworld.example.com'"
    ]


@pytest.mark.parametrize("name", ["bad_name.lifeworld.example.com", "-x.lifeworld.example.com", "", "localhost"])
def test_malformed_names_are_rejected(name):
    [problem] = dns_problems({"acm_domain_name": name}, ZONE)
    assert problem.startswith("acm_domain_name:")


def test_a_malformed_zone_is_reported_once_under_its_own_variable():
    problems = dns_problems({"acm_domain_name": "app.lifeworld.example.com"}, "not a zone", zone_var="acm_zone_name")
    assert len(problems) == 1 and problems[0].startswith("acm_zone_name:")
