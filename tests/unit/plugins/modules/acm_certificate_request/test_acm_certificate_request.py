# -*- coding: utf-8 -*-
"""lifeworld.production.acm_certificate_request against moto's in-process mock (fixtures in tests/unit/conftest.py).

moto reads MOTO_ACM_VALIDATION_WAIT once, when it is imported; the fixtures below set the value it reads at call
time (``moto.settings.ACM_VALIDATION_WAIT``) instead, so each test chooses whether certificates issue at once.
"""

import pytest

from ansible_collections.lifeworld.production.plugins.modules import acm_certificate_request

DOMAIN = "prod.lifeworld.example.com"
SANS = ["www.prod.lifeworld.example.com"]


@pytest.fixture
def acm(aws):
    return aws.client("acm")


@pytest.fixture
def issue_at_once(monkeypatch):
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)


@pytest.fixture
def never_issue(monkeypatch):
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 3600)


def args(**extra):
    base = {"domain_name": DOMAIN, "subject_alternative_names": SANS, "tags": {"Component": "edge"}, "wait_delay": 1}
    base.update(extra)
    return base


def run(run_module, module_args, **kwargs):
    result = run_module(acm_certificate_request, module_args, **kwargs)
    assert not result.get("failed"), result.get("msg")
    return result


def certificates(acm):
    return acm.list_certificates()["CertificateSummaryList"]


def test_requests_a_dns_validated_certificate_and_returns_its_records(acm, issue_at_once, run_module):
    result = run(run_module, args())

    assert result["changed"] is True
    [summary] = certificates(acm)
    described = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    assert result["certificate_arn"] == summary["CertificateArn"]
    assert described["DomainValidationOptions"][0]["ValidationMethod"] == "DNS"
    assert sorted(described["SubjectAlternativeNames"]) == sorted([DOMAIN] + SANS)
    tags = acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Component": "edge"}
    expected = {o["ResourceRecord"]["Name"] for o in described["DomainValidationOptions"]}
    assert {r["name"] for r in result["validation_records"]} == expected
    assert all(r["type"] == "CNAME" and r["value"] for r in result["validation_records"])


def test_second_run_reuses_the_certificate(acm, issue_at_once, run_module):
    first = run(run_module, args())
    second = run(run_module, args(subject_alternative_names=list(reversed(SANS)) + [DOMAIN]))

    assert second["changed"] is False
    assert second["certificate_arn"] == first["certificate_arn"]
    assert len(certificates(acm)) == 1


def test_different_alternative_names_request_a_new_certificate(acm, issue_at_once, run_module):
    first = run(run_module, args())
    other = run(run_module, args(subject_alternative_names=["api.prod.lifeworld.example.com"]))

    assert other["changed"] is True
    assert other["certificate_arn"] != first["certificate_arn"]
    assert len(certificates(acm)) == 2


def test_check_mode_predicts_the_request_without_making_it(acm, run_module):
    result = run(run_module, args(wait=True), check_mode=True, diff=True)

    assert result["changed"] is True
    assert certificates(acm) == []
    assert result["certificate_arn"] == ""
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["subject_alternative_names"] == [DOMAIN] + SANS


def test_tag_changes_are_applied_in_place_and_shown_in_the_diff(acm, issue_at_once, run_module):
    first = run(run_module, args())
    check = run(run_module, args(tags={"Component": "edge", "Owner": "platform"}), check_mode=True, diff=True)
    arn = first["certificate_arn"]
    assert check["changed"] is True
    assert len(acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]) == 1

    result = run(run_module, args(tags={"Owner": "platform"}), diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"]["tags"] == {"Owner": "platform"}
    tags = acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Owner": "platform"}


def test_wait_returns_once_issued(acm, issue_at_once, run_module):
    result = run(run_module, args(wait=True, wait_timeout=30))

    assert result["certificate"]["status"] == "ISSUED"


def test_wait_timeout_fails_saying_what_to_check(acm, never_issue, run_module):
    result = run_module(acm_certificate_request, args(wait=True, wait_timeout=1))

    assert result["failed"] is True
    assert "still PENDING_VALIDATION after 1 s" in result["msg"]
    assert "NS records" in result["msg"] and "wait_timeout" in result["msg"]
    assert result["validation_records"], "the records to check should be returned with the failure"
    # the next run keeps waiting for the same certificate instead of requesting another
    again = run_module(acm_certificate_request, args(wait=True, wait_timeout=1))
    assert again["certificate_arn"] == result["certificate_arn"]
    assert len(certificates(acm)) == 1


def test_absent_deletes_the_matching_certificate_only(acm, issue_at_once, run_module):
    run(run_module, args())
    keep = run(run_module, args(domain_name="other.lifeworld.example.com", subject_alternative_names=[]))

    check = run(run_module, args(state="absent"), check_mode=True)
    assert check["changed"] is True and len(certificates(acm)) == 2
    result = run(run_module, args(state="absent"))
    again = run(run_module, args(state="absent"))

    assert result["changed"] is True and again["changed"] is False
    assert [c["CertificateArn"] for c in certificates(acm)] == [keep["certificate_arn"]]
