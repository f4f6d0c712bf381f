# -*- coding: utf-8 -*-
"""The edge's logging rules on plain describe-call answers: what the alb and waf roles build passes; access logs
off, a bucket ELB cannot deliver to, a public bucket, WAF logging off or logging credentials are each named."""

from ansible_collections.lifeworld.production.plugins.module_utils import hardening_logging as h

BUCKET = "p-123456789012-alb-logs"
ON = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": BUCKET, "access_logs.s3.prefix": "alb"}
SSE_S3 = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
PRIVATE = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
ACL = {"Name": "p-web-acl", "ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/p-web-acl/1"}
LOGGING = {"LogDestinationConfigs": ["arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-p"],
           "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"SingleHeader": {"Name": "Cookie"}}]}


def _checks(entries):
    return [(e["kind"], e["resource"], e["check"]) for e in entries]


def test_access_logs_as_the_alb_role_builds_them_pass():
    assert h.check_alb_access_logs("p-alb", ON, SSE_S3, PRIVATE) == []


def test_access_logs_off_or_without_a_bucket_are_a_finding():
    for attributes in (dict(ON, **{"access_logs.s3.enabled": "false"}), dict(ON, **{"access_logs.s3.bucket": ""})):
        assert _checks(h.check_alb_access_logs("p-alb", attributes, SSE_S3, PRIVATE)) == [
            ("finding", "p-alb", "ALB access logs on")]
    # Off is only allowed to a caller that says so.
    assert h.check_alb_access_logs("p-alb", {"access_logs.s3.enabled": "false"}, None, None, expected=False) == []


def test_an_unreported_attribute_is_not_checkable_never_passed():
    assert _checks(h.check_alb_access_logs("p-alb", {}, SSE_S3, PRIVATE)) == [
        ("not_checkable", "p-alb", "ALB access logs on")]


def test_the_bucket_must_be_sse_s3_and_private():
    kms = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]
    found = h.check_alb_access_logs("p-alb", ON, kms, dict(PRIVATE, RestrictPublicBuckets=False))
    assert _checks(found) == [("finding", BUCKET, "access-log bucket encrypted"),
                              ("finding", BUCKET, "access-log bucket blocks public access")]
    assert "SSE-S3" in found[0]["detail"] and "RestrictPublicBuckets" in found[1]["detail"]
    assert _checks(h.check_alb_access_logs("p-alb", ON, None, None)) == [
        ("finding", BUCKET, "access-log bucket encrypted"), ("finding", BUCKET, "access-log bucket blocks public access")]


def test_waf_logging_as_the_waf_role_sets_it_passes():
    assert h.check_waf_logging("p-web-acl", ACL, LOGGING) == []


def test_waf_logging_off_is_a_finding():
    assert _checks(h.check_waf_logging("p-web-acl", ACL, None)) == [("finding", "p-web-acl", "WAF logging on")]


def test_credentials_logged_in_clear_are_named():
    logging = dict(LOGGING, RedactedFields=[{"SingleHeader": {"Name": "authorization"}}])
    [found] = h.check_waf_logging("p-web-acl", ACL, logging)
    assert (found["check"], found["detail"]) == ("WAF logs redact credentials", "header(s) logged in clear: cookie")


def test_a_destination_without_the_aws_waf_logs_prefix_is_a_finding():
    logging = dict(LOGGING, LogDestinationConfigs=["arn:aws:s3:::p-waf"])
    assert _checks(h.check_waf_logging("p-web-acl", ACL, logging)) == [("finding", "p-web-acl", "WAF logging on")]


def test_a_missing_web_acl_is_a_finding_only_when_expected():
    assert h.check_waf_logging("p-web-acl", None, None, expected=False) == []
    assert _checks(h.check_waf_logging("p-web-acl", None, None, expected=True)) == [
        ("finding", "p-web-acl", "web ACL exists")]
