# -*- coding: utf-8 -*-
"""The audit trail (roles/cloudtrail, playbooks/audit.yml), built with the logs key by real ansible-playbook runs
against the emulator and read back with boto3. The emulator stores the bucket, key and trust policies without
evaluating them, so the tests read the policies themselves."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.lifeworld.production.plugins.module_utils import hardening

from .harness import api_calls_seen, run_playbook
from .tiers import TIERS_GROUP, changed_in_roles, shared_tiers

PREFIX = "life-world-os-local"
TAGS = "kms,audit"
TRAIL = PREFIX + "-trail"
# Built once for the `tiers` group (tests/integration/tiers.py) with the other tiers' modules collected in the same
# session (then with their tags too); alone, with TAGS as before.
pytestmark = pytest.mark.xdist_group(TIERS_GROUP)
TIER_TAGS = TAGS


def after_check_on_empty(emulator):
    return {"trails_after_check_empty": emulator.client("cloudtrail").describe_trails()["trailList"],
            "buckets_after_check_empty": emulator.client("s3").list_buckets()["Buckets"]}


@pytest.fixture(scope="module")
def audit(emulator, request):
    """Empty emulator → --check → converge → converge again → --check (the shared tiers build); every run kept."""
    tiers = shared_tiers(emulator, request).build()
    return dict(tiers.runs, **tiers.probes[__name__])


def _trail(emulator):
    (trail,) = emulator.client("cloudtrail").describe_trails(trailNameList=[TRAIL])["trailList"]
    return trail


def _logs_key(emulator):
    return emulator.client("kms").describe_key(KeyId="alias/%s-logs" % PREFIX)["KeyMetadata"]["Arn"]


def test_check_mode_on_empty_account_creates_nothing(audit):
    assert audit["check_empty"].rc == 0, audit["check_empty"].tail()
    assert audit["trails_after_check_empty"] == []
    assert audit["buckets_after_check_empty"] == []


def test_converges_then_reports_no_change(audit):
    assert audit["first"].rc == 0, audit["first"].tail()
    assert audit["first"].changed > 0
    assert changed_in_roles(audit["first"], "cloudtrail"), audit["first"].changed_tasks()
    assert audit["second"].rc == 0, audit["second"].tail()
    assert audit["second"].changed == 0, "not idempotent: %s" % audit["second"].changed_tasks()
    assert audit["check_converged"].rc == 0, audit["check_converged"].tail()
    assert audit["check_converged"].changed == 0, "check mode sees drift: %s" % audit["check_converged"].changed_tasks()


def test_trail_is_multi_region_validated_encrypted_and_logging(emulator, audit):
    trail = _trail(emulator)
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["LogFileValidationEnabled"] is True
    assert trail["KmsKeyId"] == _logs_key(emulator)
    assert emulator.client("cloudtrail").get_trail_status(Name=TRAIL)["IsLogging"] is True


def test_bucket_is_private_versioned_encrypted_and_written_only_by_the_trail(emulator, audit):
    s3, trail = emulator.client("s3"), _trail(emulator)
    account = emulator.client("sts").get_caller_identity()["Account"]
    bucket = trail["S3BucketName"]
    assert bucket == "%s-cloudtrail-%s" % (PREFIX, account)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": _logs_key(emulator)}
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    acl, write = by_sid["CloudTrailChecksTheBucketAcl"], by_sid["CloudTrailWritesOurLogs"]
    for statement in (acl, write):
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail["TrailARN"]
    assert acl["Action"] == "s3:GetBucketAcl" and acl["Resource"] == "arn:aws:s3:::" + bucket
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == "arn:aws:s3:::%s/AWSLogs/%s/*" % (bucket, account)
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert by_sid["RefusePlainHttp"]["Effect"] == "Deny"
    assert by_sid["RefusePlainHttp"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_events_also_go_to_an_encrypted_log_group_through_a_role_only_the_trail_assumes(emulator, audit):
    trail = _trail(emulator)
    (group,) = emulator.client("logs").describe_log_groups(logGroupNamePrefix=PREFIX + "-cloudtrail")["logGroups"]
    assert trail["CloudWatchLogsLogGroupArn"] == group["arn"]
    assert group["kmsKeyId"] == _logs_key(emulator)
    role_name = trail["CloudWatchLogsRoleArn"].split("/")[-1]
    iam = emulator.client("iam")
    (trust,) = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceArn": trail["TrailARN"]}}
    (statement,) = iam.get_role_policy(RoleName=role_name, PolicyName="deliver-trail-events")["PolicyDocument"][
        "Statement"]
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"].startswith(group["logGroupArn"] + ":log-stream:")


def test_logs_key_lets_only_our_trails_encrypt(emulator, audit):
    """AWS refuses a trail whose key policy lacks these; the emulator does not, so the policy is read here."""
    kms, account = emulator.client("kms"), emulator.client("sts").get_caller_identity()["Account"]
    key_id = _logs_key(emulator)
    policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    encrypt = by_sid["CloudTrailEncryptsOurTrails"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:%s:trail/*" % account}
    trails = "arn:aws:cloudtrail:us-east-1:%s:trail/%s-*" % (account, PREFIX)
    assert encrypt["Condition"]["ArnLike"] == {"aws:SourceArn": trails}
    assert by_sid["CloudTrailDescribesTheKey"]["Condition"]["ArnLike"] == {"aws:SourceArn": trails}
    read = by_sid["AccountReadsTrailLogs"]
    assert read["Principal"] == {"AWS": "arn:aws:iam::%s:root" % account}
    assert read["Action"] == ["kms:Decrypt", "kms:ReEncryptFrom"]


BAD = [({"cloudtrail_trail_name": "x"}, "cloudtrail_trail_name"),
       ({"cloudtrail_trail_name": "someone-elses-trail"}, "cloudtrail_trail_name"),
       ({"cloudtrail_bucket_name": "Not_A_Bucket"}, "cloudtrail_bucket_name"),
       ({"cloudtrail_log_group_retention_days": 13}, "cloudtrail_log_group_retention_days")]


def test_bad_input_fails_naming_the_variable_before_any_aws_call(emulator, audit):
    before = api_calls_seen(emulator)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda case: run_playbook(emulator, tags="audit", extra_vars=case[0]), BAD))
    for (override, variable), run in zip(BAD, runs):
        assert run.rc != 0, "%s was accepted" % override
        assert variable in run.stdout + run.stderr, run.tail(2500)
    assert api_calls_seen(emulator) - before == 0


def test_the_built_trail_passes_the_hardening_rule(emulator, audit):
    s3, trail = emulator.client("s3"), _trail(emulator)
    bucket = trail["S3BucketName"]
    found = hardening.check_cloudtrail(
        trail, emulator.client("cloudtrail").get_trail_status(Name=TRAIL), TRAIL,
        s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
        s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert found == []
