# -*- coding: utf-8 -*-
"""The DNS cutover (playbooks/cutover.yml) against the emulator, read back with boto3.

The cutover needs a hosted zone, the site's record and the load balancer found by its contract name. The load
balancer is arranged with boto3 (a VPC, two subnets, the ALB: milliseconds), the zone, health check and legacy
record by the route53 role itself (edge playbook, --tags route53, route53_site_target: legacy), so the module
stays well under its time budget. One sequence, as an operator runs it, every run kept for the tests below:

build (legacy A record, TTL 300) -> switch refused (TTL not lowered) -> lower_ttl -> switch refused (old TTL
not run out) -> switch forced -> switch again -> edge --tags route53 (must not undo it) -> revert --check ->
revert (TTL note: 2 s) -> once those 2 s have run out, a switch (not forced) whose health check fails: reverted
automatically -> a switch to the load balancer itself, which answers nothing (its emulated name resolves nowhere):
reverted automatically too, since a check that cannot reach its target must not pass.

Switches and reverts meant to succeed ask a local server that answers 200 (cutover_health_via_target: false): nothing
answers behind the emulated ALB or the example legacy address.
"""

import re
import time

import pytest

from tests.tools.health_endpoint import health_endpoint

from .harness import run_playbook

pytestmark = pytest.mark.xdist_group("cutover")

PREFIX = "life-world-os-local"
ZONE = "lifeworld.example.com"
RECORD = "local.lifeworld.example.com."
MARKER = "_cutover." + RECORD
LEGACY = {"route53_site_target": "legacy"}


def _arrange_load_balancer(emulator):
    ec2, elbv2 = emulator.client("ec2"), emulator.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.%d.0/24" % index, AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
               for index, az in ((1, "a"), (2, "b"))]
    return elbv2.create_load_balancer(Name=PREFIX + "-alb", Subnets=subnets, Scheme="internet-facing", Type="application")["LoadBalancers"][0]


def _records(emulator):
    """{(name, type): record set} of the site's name and of its TTL note."""
    route53 = emulator.client("route53")
    zone_id = route53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][0]["Id"]
    sets = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(s["Name"], s["Type"]): s for s in sets if s["Name"] in (RECORD, MARKER)}


@pytest.fixture(scope="module")
def cutover(emulator):
    def cut(action, check=False, **extra):
        return run_playbook(emulator, "playbooks/cutover.yml", check=check,
                            extra_vars=dict(LEGACY, cutover_action=action, **extra))

    emulator.reset()
    runs = {"alb": _arrange_load_balancer(emulator)}
    runs["build"] = run_playbook(emulator, "playbooks/edge.yml", tags="route53", extra_vars=LEGACY)
    assert runs["build"].rc == 0, runs["build"].tail()
    runs["records_built"] = _records(emulator)

    with health_endpoint(200) as healthy_url:
        answering = {"cutover_health_via_target": False, "cutover_health_url": healthy_url}
        runs["switch_unlowered"] = cut("switch", **answering)
        runs["records_after_refusal"] = _records(emulator)
        runs["lower_ttl"] = cut("lower_ttl")
        runs["records_lowered"] = _records(emulator)
        runs["switch_too_early"] = cut("switch", **answering)
        runs["switch_forced"] = cut("switch", cutover_force=True, **answering)
        runs["records_switched"] = _records(emulator)
        runs["switch_again"] = cut("switch", **answering)
        runs["site_after_switch"] = run_playbook(emulator, "playbooks/edge.yml", tags="route53", extra_vars=LEGACY)
        runs["records_after_site"] = _records(emulator)
        runs["revert_check"] = cut("revert", check=True, **answering)
        runs["records_after_revert_check"] = _records(emulator)
        # What resolvers may hold behind the alias is shortened to 2 s, so the later switches need not be forced.
        runs["revert"] = cut("revert", cutover_alias_ttl=2, **answering)
        runs["records_reverted"] = _records(emulator)

    time.sleep(3)
    with health_endpoint(503) as unhealthy_url:
        runs["switch_unhealthy"] = cut("switch", cutover_health_via_target=False, cutover_health_url=unhealthy_url)
    runs["records_after_unhealthy"] = _records(emulator)
    # The inventory's own check: https://<name>/api/health through the ALB, which answers nothing here.
    runs["switch_dead"] = cut("switch", cutover_health_retries=2, cutover_health_delay=1)
    runs["records_after_dead"] = _records(emulator)
    return runs


def _task(name):
    """A task's header: the play's tasks run through the contract role's connected entry point."""
    return "TASK [lifeworld.production.contract : %s]" % name


def _text(run):
    """The run's output with YAML's line wrapping undone."""
    return " ".join(run.stdout.split())


def _legacy(records, ttl):
    record = records[(RECORD, "A")]
    return record.get("TTL") == ttl and [r["Value"] for r in record.get("ResourceRecords", [])] == ["192.0.2.10"]


def _alias_target(records):
    return records[(RECORD, "A")].get("AliasTarget", {}).get("DNSName", "").rstrip(".").lower()


def test_site_yml_in_legacy_mode_publishes_the_legacy_record(cutover):
    assert _legacy(cutover["records_built"], 300), cutover["records_built"]


def test_switch_is_refused_while_the_ttl_is_not_lowered(cutover):
    run = cutover["switch_unlowered"]
    assert run.rc != 0, run.tail()
    assert "Not switching" in _text(run) and "the TTL is 300 s, not lowered" in _text(run), run.tail()
    assert "run -e cutover_action=lower_ttl first" in _text(run)
    assert cutover["records_after_refusal"] == cutover["records_built"]


def test_lower_ttl_publishes_the_low_ttl_notes_the_time_and_says_how_long_to_wait(cutover):
    run = cutover["lower_ttl"]
    assert run.rc == 0, run.tail()
    assert _legacy(cutover["records_lowered"], 60), cutover["records_lowered"]
    [note] = cutover["records_lowered"][(MARKER, "TXT")]["ResourceRecords"]
    assert "old_ttl=300" in note["Value"] and "lowered_at=" in note["Value"]
    assert "Resolvers may hold the old answer for 300 s: run -e cutover_action=switch after" in _text(run), run.tail()


def test_switch_is_refused_until_the_old_ttl_has_run_out(cutover):
    run = cutover["switch_too_early"]
    assert run.rc != 0, run.tail()
    assert "resolvers may keep the old answer for its old TTL of 300 s: wait" in _text(run), run.tail()
    assert run.changed == 0
    assert _legacy(cutover["records_lowered"], 60)


def test_switch_aliases_the_name_to_the_alb_and_removes_the_note(cutover):
    run = cutover["switch_forced"]
    assert run.rc == 0, run.tail()
    assert _task("Wait until the change is INSYNC on every Route 53 name server") in run.stdout, run.tail()
    records = cutover["records_switched"]
    assert _alias_target(records) == cutover["alb"]["DNSName"].lower()
    assert records[(RECORD, "A")]["AliasTarget"]["HostedZoneId"] == cutover["alb"]["CanonicalHostedZoneId"]
    assert (MARKER, "TXT") not in records
    assert _task("Check that /api/health answers 200") in run.stdout, run.tail()


def test_second_switch_changes_nothing(cutover):
    run = cutover["switch_again"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, run.changed_tasks()


def test_site_yml_in_legacy_mode_leaves_the_cutover_alone(cutover):
    run = cutover["site_after_switch"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, run.changed_tasks()
    assert cutover["records_after_site"] == cutover["records_switched"]


def test_revert_in_check_mode_changes_nothing(cutover):
    run = cutover["revert_check"]
    assert run.rc == 0, run.tail()
    assert run.changed >= 1, "check mode should report the revert it would make"
    assert cutover["records_after_revert_check"] == cutover["records_switched"]


def test_revert_points_the_name_at_the_legacy_target_with_the_low_ttl(cutover):
    run = cutover["revert"]
    assert run.rc == 0, run.tail()
    records = cutover["records_reverted"]
    assert _legacy(records, 60), records
    assert "old_ttl=2" in records[(MARKER, "TXT")]["ResourceRecords"][0]["Value"]


def test_switch_goes_ahead_unforced_once_the_old_ttl_has_run_out(cutover):
    run = cutover["switch_unhealthy"]
    assert "switch: may go ahead (the TTL was lowered" in _text(run), run.tail()
    assert "cutover_force: switching although" not in _text(run)
    assert _task("Alias the name to the ALB") in run.stdout, run.tail()


def test_failed_verification_reverts_automatically_and_says_why(cutover):
    run = cutover["switch_unhealthy"]
    assert run.rc != 0, run.tail()
    assert "answered HTTP 503, not 200" in _text(run), run.tail()
    assert "Reverted automatically to A 192.0.2.10 (TTL 60 s)" in _text(run), run.tail()
    assert _legacy(cutover["records_after_unhealthy"], 60), cutover["records_after_unhealthy"]


def test_switch_to_a_load_balancer_that_answers_nothing_is_reverted(cutover):
    run = cutover["switch_dead"]
    assert run.rc != 0, run.tail()
    assert _task("Alias the name to the ALB") in run.stdout, run.tail()
    # Not resolvable (6), refused (7) or timed out (28): which one depends on this host's resolver.
    text = _text(run)
    assert re.search(r"https://local\.lifeworld\.example\.com/api/health through %s answered nothing \(curl exit (6|7|28): "
                     % re.escape(cutover["alb"]["DNSName"]), text, re.I), run.tail()
    assert "not 200, after 2 tries" in text, run.tail()
    assert "Reverted automatically to A 192.0.2.10 (TTL 60 s)" in text, run.tail()
    assert _legacy(cutover["records_after_dead"], 60), cutover["records_after_dead"]
