# -*- coding: utf-8 -*-
"""playbooks/teardown.yml on the shared site build: everything the collection built is gone (the emulator's
census is empty but for the keys pending deletion), the final DB snapshot is kept, a second teardown changes
nothing, and a production environment is refused before any AWS call unless the run names it."""

import pytest

from .census import census
from .harness import SITE_GROUP, api_calls_seen, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)
# It deletes the shared build: it runs after the other modules of the group (tests/conftest.py).
SPOILS_SHARED_SITE = True

PREFIX = "life-world-os-local"
PLAYBOOK = "playbooks/teardown.yml"
NAMESPACE = "local.life-world-os.internal"


@pytest.fixture(scope="module")
def torn_down(emulator, site):
    site.build()
    before = census(emulator)
    refused_calls = api_calls_seen(emulator)
    refused = run_playbook(emulator, PLAYBOOK, extra_vars={"lifeworld_environment": "production"})
    refused_calls = api_calls_seen(emulator) - refused_calls
    first = run_playbook(emulator, PLAYBOOK)
    site.spoil()
    after_first = census(emulator)
    second = run_playbook(emulator, PLAYBOOK)
    yield {"before": before, "refused": refused, "refused_calls": refused_calls, "first": first,
           "after_first": after_first, "second": second}


def test_production_is_refused_before_any_aws_call(torn_down):
    run = torn_down["refused"]
    assert run.rc != 0
    assert "teardown_confirm=production" in run.stdout, run.tail()
    assert torn_down["refused_calls"] == 0


def test_teardown_leaves_only_the_keys_pending_deletion(emulator, torn_down):
    assert torn_down["first"].rc == 0, torn_down["first"].tail(6000)
    assert torn_down["before"]["vpc"] == 1 and torn_down["before"]["db_instance"] == 1, torn_down["before"]
    keys = torn_down["before"]["kms_key"]
    # The emulator keeps the private zone Cloud Map made for the namespace (<namespace>-hz, its SOA and NS) after
    # DeleteNamespace; AWS deletes it with the namespace. That zone is the only thing left besides the keys.
    assert torn_down["after_first"] == {"kms_key": keys, "hosted_zone": 1, "dns_record": 2}
    (zone,) = emulator.client("route53").list_hosted_zones()["HostedZones"]
    assert zone["Name"].rstrip(".") == NAMESPACE + "-hz" and zone["Config"]["PrivateZone"] is True
    kms = emulator.client("kms")
    # The DR drill's point-in-time restore (run on this build by the scheduled jobs) gives the scratch instance a
    # master secret under the AWS-managed alias/aws/secretsmanager key, which the emulator creates on first use and
    # reports as a CUSTOMER key (docs/real-account.md). AWS-managed keys cannot be scheduled for deletion: leave them.
    ours = [k["KeyId"] for k in kms.list_keys()["Keys"]
            if not any(a["AliasName"].startswith("alias/aws/") for a in kms.list_aliases(KeyId=k["KeyId"])["Aliases"])]
    assert keys - len(ours) <= 1, kms.list_aliases()["Aliases"]
    # The plan's three keys (RDS, Secrets Manager, CloudWatch Logs), each scheduled for deletion.
    assert [kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] for k in ours] == ["PendingDeletion"] * 3


def test_the_final_db_snapshot_is_kept(emulator, torn_down):
    snapshots = emulator.client("rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBInstanceIdentifier"] for s in snapshots] == [PREFIX + "-db"]
    assert snapshots[0]["DBSnapshotIdentifier"].startswith(PREFIX + "-db-final-")


def test_what_the_census_does_not_count_is_gone_too(emulator, torn_down):
    rds = emulator.client("rds")
    assert [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
            if g["DBSubnetGroupName"].startswith(PREFIX)] == []
    assert [g["DBParameterGroupName"] for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
            if g["DBParameterGroupName"].startswith(PREFIX)] == []
    assert emulator.client("cloudtrail").describe_trails()["trailList"] == []
    assert emulator.client("s3").list_buckets()["Buckets"] == []
    assert emulator.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"] == []
    assert emulator.client("wafv2").list_ip_sets(Scope="REGIONAL")["IPSets"] == []
    assert emulator.client("servicediscovery").list_namespaces()["Namespaces"] == []
    assert emulator.client("route53").list_health_checks()["HealthChecks"] == []
    assert emulator.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs")["ScalableTargets"] == []


def test_a_second_teardown_changes_nothing(torn_down):
    run = torn_down["second"]
    assert run.rc == 0, run.tail(6000)
    assert run.changed == 0, run.changed_tasks()
