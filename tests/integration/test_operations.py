# -*- coding: utf-8 -*-
"""Operations playbooks against one environment built by site.yml in the emulator: the pre-migration checklist
(met on the built one; unmet on an empty account is test_empty_account.py's), the post-migration checklist, the
diagram of what exists, and the drift check naming a security-group rule added behind the collection's back."""

import json
import re
import time
import types
import xml.etree.ElementTree as ET

import pytest

from scripts.local_stack import standins
from tests.tools.faultproxy import FaultProxy
from tests.tools.health_endpoint import health_endpoint

from .harness import SITE_GROUP, free_port, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PREFIX = "life-world-os-local"


def _session(emulator):
    """What scripts/local_stack/standins.py needs of a boto3 session: clients of the emulator."""
    return types.SimpleNamespace(client=emulator.client)


def _push_release_images(emulator, tag="local"):
    """Images in ECR under a tag, pushed through the registry API as the demo does (no Docker here)."""
    return standins.push_release_images(_session(emulator), "life-world-os", tag)


@pytest.fixture(scope="module")
def ops(emulator, site, tmp_path_factory):
    """The `site` group's shared build with the demo's stand-ins (release images, tasks registered in their target
    groups, then the minute's CloudWatch figures), and the post-migration checklist before the figures exist, with
    them, and with each thing it checks broken in turn (put back afterwards). Deploys leave the services on other
    revisions of the same definitions, and the drift test removes the rule it adds, so what later modules read (the
    definitions, rules, secrets) stays as built."""
    runs = {"build": site.build()}
    _push_release_images(emulator)
    standins.register_tasks(_session(emulator), PREFIX)
    # The network-path item TCP-connects to the local target, which this module does not start: the moto server's
    # own listener stands in for it (tests/integration/test_preflight_path.py covers a closed port).
    path = {"preflight_db_path_host": "127.0.0.1", "preflight_db_path_port": emulator.port}
    runs["preflight_built"] = run_playbook(emulator, "playbooks/preflight.yml", extra_vars=path)

    # Asked of this environment as production asks it: no staging record, then a fresh one with every item met.
    records = tmp_path_factory.mktemp("staging-records")
    runs["preflight_no_staging"] = run_playbook(emulator, "playbooks/preflight.yml", extra_vars={
        **path, "preflight_staging_required": True, "preflight_staging_record": str(records / "absent.json")})
    recorded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3 * 86400))
    (records / "staging.json").write_text(json.dumps({
        "checklist": "verify", "environment": "staging", "prefix": "life-world-os-staging", "recorded_at": recorded,
        "met_count": 7, "total": 7, "unmet": [], "table": []}))
    runs["preflight_staging_recorded"] = run_playbook(emulator, "playbooks/preflight.yml", extra_vars={
        **path, "preflight_staging_required": True, "preflight_staging_record": str(records / "staging.json")})
    runs["staging_recorded_at"] = recorded

    rds = emulator.client("rds")
    kept = rds.describe_db_instances(DBInstanceIdentifier=PREFIX + "-db")["DBInstances"][0]["BackupRetentionPeriod"]
    rds.modify_db_instance(DBInstanceIdentifier=PREFIX + "-db", BackupRetentionPeriod=1, ApplyImmediately=True)
    try:
        # An inventory that asks for 1 day does not lower the plan's 7 it is judged by.
        runs["preflight_one_day"] = run_playbook(emulator, "playbooks/preflight.yml",
                                                 extra_vars=dict(path, rds_backup_retention_days=1))
    finally:
        rds.modify_db_instance(DBInstanceIdentifier=PREFIX + "-db", BackupRetentionPeriod=kept, ApplyImmediately=True)

    ecr = emulator.client("ecr")
    ecr.batch_delete_image(repositoryName="life-world-os/backend", imageIds=[{"imageTag": "local"}])
    try:
        # The image the running backend revision names is gone: a rollback to that revision could not start.
        runs["preflight_image_gone"] = run_playbook(emulator, "playbooks/preflight.yml", extra_vars=path)
    finally:
        _push_release_images(emulator)

    with health_endpoint(200) as healthy:
        answering = {"verify_health_url": healthy}
        # The emulator emits no metric: until the stand-ins put them, nothing is measured, and that is unmet.
        runs["verify_unmeasured"] = run_playbook(emulator, "playbooks/verify.yml", extra_vars=answering)
        runs["metrics_put"] = standins.put_metrics(_session(emulator), PREFIX)
        runs["verify"] = run_playbook(emulator, "playbooks/verify.yml", extra_vars=answering)
        cloudwatch = emulator.client("cloudwatch")
        alarm = cloudwatch.describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"][0]
        runs["alarm_set_off"] = alarm["AlarmName"]
        cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue="ALARM", StateReason="test: firing")
        try:
            runs["verify_alarm"] = run_playbook(emulator, "playbooks/verify.yml", extra_vars=answering)
        finally:
            cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=alarm["StateValue"], StateReason="test: put back")
    runs["unreachable_url"] = "http://127.0.0.1:%d/api/health" % free_port()
    runs["verify_unreachable"] = run_playbook(emulator, "playbooks/verify.yml",
                                              extra_vars={"verify_health_url": runs["unreachable_url"]})
    # The inventory's own URL: the emulated record resolves nowhere.
    runs["verify_default_url"] = run_playbook(emulator, "playbooks/verify.yml")
    return runs


def test_preflight_passes_on_the_built_environment(ops):
    run = ops["preflight_built"]
    assert run.rc == 0, run.tail()
    assert "[UNMET]" not in run.stdout and "11 of 11 met" in run.stdout
    # Not production: the staging item says it asked nothing, and what stays a person's to confirm.
    text = " ".join(run.stdout.split())
    assert "[met] Staging environment fully tested on AWS not required of the local environment" in text, text[-3000:]
    assert "(manual: deploy, rollback, DR drill and migration rehearsal on staging" in text


def test_preflight_fails_without_a_recorded_staging_verification_when_it_is_required(ops):
    run = ops["preflight_no_staging"]
    assert run.rc != 0, run.tail()
    text = " ".join(run.stdout.split())
    assert "[UNMET] Staging environment fully tested on AWS no recorded verify.yml run of the staging environment" in text, text[-3000:]


def test_preflight_accepts_a_recent_fully_met_staging_verification(ops):
    run = ops["preflight_staging_recorded"]
    assert run.rc == 0, run.tail()
    text = " ".join(run.stdout.split())
    assert "[met] Staging environment fully tested on AWS inventories/staging verified %s, 7 of 7 met" % (
        ops["staging_recorded_at"]) in text, text[-3000:]


def test_preflight_holds_backups_to_the_plans_seven_days_whatever_the_inventory_says(ops):
    run = ops["preflight_one_day"]
    assert run.rc != 0, run.tail()
    assert "[UNMET] Database backups enabled" in run.stdout, run.tail()
    assert "%s-db: 1 days of backups (at least 7)" % PREFIX in " ".join(run.stdout.split()), run.tail()


def test_preflight_fails_when_the_image_a_rollback_returns_to_is_gone_from_ecr(ops):
    run = ops["preflight_image_gone"]
    assert run.rc != 0, run.tail()
    text = " ".join(run.stdout.split())
    assert "[UNMET] Rollback artefacts in place" in run.stdout, run.tail()
    assert re.search(r"backend: \d+\.dkr\.ecr\.us-east-1\.amazonaws\.com/life-world-os/backend:local is missing in ECR", text), run.tail()
    assert "frontend:" not in text.split("[UNMET] Rollback artefacts in place", 1)[1].split("[", 1)[0]
    assert "manual: the team has read docs/runbooks/rollback.md" in text


def test_preflight_says_the_rollback_artefacts_it_checked(ops):
    text = " ".join(ops["preflight_built"].stdout.split())
    assert re.search(r"\[met\] Rollback artefacts in place revisions with their images in ECR: %s-backend:\d+, "
                     r"%s-frontend:\d+, %s-db restorable to \d{4}-" % (PREFIX, PREFIX, PREFIX), text), text[-3000:]


VERIFY_ITEMS = ("Services running the desired task count", "Load-balancer targets healthy",
                "Alias record points at the ALB", "Alarms exist, none in ALARM", "CloudWatch figures within bounds",
                "Database backups on", "/api/health answers 200")


def test_verify_passes_on_the_built_environment_with_its_figures_and_an_answering_endpoint(ops):
    run = ops["verify"]
    assert run.rc == 0, run.tail()
    for item in VERIFY_ITEMS:
        assert "[met]   " + item in run.stdout, item
    assert "7 of 7 met" in run.stdout
    text = " ".join(run.stdout.split())
    # The figures read back are the ones the stand-ins put: 2 healthy hosts and 2 running tasks each.
    assert "%s-alb: 120 requests, 0 5xx (0.00%%)" % PREFIX in text, run.tail()
    assert "backend >= 2 running, frontend >= 2 running" in text, run.tail()


def test_verify_fails_naming_each_figure_cloudwatch_does_not_hold(ops):
    run = ops["verify_unmeasured"]
    assert run.rc != 0, run.tail()
    assert "[UNMET] CloudWatch figures within bounds" in run.stdout, run.tail()
    text = " ".join(run.stdout.split())
    for absent in ("%s-alb: no RequestCount datapoint in the last 10 min" % PREFIX,
                   "backend: no RunningTaskCount (Container Insights) datapoint",
                   "frontend: no RunningTaskCount (Container Insights) datapoint"):
        assert absent in text, absent
    assert "6 of 7 met" in run.stdout


def test_verify_fails_when_an_alarm_of_the_set_is_in_alarm(ops):
    run = ops["verify_alarm"]
    assert run.rc != 0, run.tail()
    assert "[UNMET] Alarms exist, none in ALARM" in run.stdout, run.tail()
    assert "in ALARM: " + ops["alarm_set_off"] in " ".join(run.stdout.split())
    assert "6 of 7 met" in run.stdout


def test_verify_fails_when_the_health_endpoint_cannot_be_reached_naming_url_and_error(ops):
    run = ops["verify_unreachable"]
    assert run.rc != 0, run.tail()
    text = " ".join(run.stdout.split())
    assert "[UNMET] /api/health answers 200" in run.stdout, run.tail()
    assert ops["unreachable_url"] + ": not reachable from this host (" in text, run.tail()
    assert "Connection refused" in text, run.tail()
    assert "[skip]" not in run.stdout
    default = ops["verify_default_url"]
    assert default.rc != 0 and "https://local.lifeworld.example.com/api/health: not reachable" in " ".join(
        default.stdout.split()), default.tail()


def test_diagram_names_every_subnet_service_load_balancer_and_database(emulator, ops, playbook, tmp_path):
    run = playbook("playbooks/diagram.yml", extra_vars={"diagram_output_dir": str(tmp_path)})
    assert run.rc == 0, run.tail()
    svg = tmp_path / (PREFIX + ".svg")
    assert (tmp_path / (PREFIX + ".png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = " ".join(node.text or "" for node in ET.parse(svg).iter() if node.tag.endswith("text"))
    ec2 = emulator.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-vpc"]}])["Vpcs"][0]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    assert len(subnets) == 6
    for subnet in subnets:
        name = {t["Key"]: t["Value"] for t in subnet["Tags"]}["Name"]
        assert name in texts and subnet["SubnetId"] in texts, name
    for service in emulator.client("ecs").list_services(cluster=PREFIX)["serviceArns"]:
        assert service.rsplit("/", 1)[-1] in texts
    assert PREFIX + "-alb" in texts and "listener HTTPS:443" in texts
    assert PREFIX + "-db" in texts and PREFIX + "-db (standby)" in texts
    assert "2/2 tasks running" in texts
    alarms = emulator.client("cloudwatch").describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    assert alarms and all(alarm["AlarmName"] in texts for alarm in alarms)


def test_drift_check_names_a_rule_added_behind_our_back(emulator, ops, playbook):
    ec2 = emulator.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-rds"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    try:
        run = playbook("playbooks/drift.yml", extra_vars={"drift_components": ["network", "security"]})
        # The pre-migration review names the rule too.
        preflight = playbook("playbooks/preflight.yml")
    finally:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert run.rc != 0, "drift went unnoticed:\n" + run.tail()
    assert "network        clean" in run.stdout, run.tail()
    assert "security       drifted" in run.stdout
    assert "would change: lifeworld.production.security_groups" in run.stdout
    assert "Drift in security" in run.stdout
    assert preflight.rc != 0 and "rds admits 0.0.0.0/0 on port 5432" in preflight.stdout, preflight.tail()


def _scratch_instances(emulator):
    return [db["DBInstanceIdentifier"] for db in emulator.client("rds").describe_db_instances()["DBInstances"]
            if db["DBInstanceIdentifier"] == PREFIX + "-db-pitr"]


def test_dr_drill_restores_reports_and_leaves_nothing_behind(emulator, ops, playbook):
    run = playbook("playbooks/dr_drill.yml")
    assert run.rc == 0, run.tail()
    assert "Restored %s-db to " % PREFIX in run.stdout
    assert "RPO " in run.stdout and "RTO " in run.stdout and "(target 3600 s): met" in run.stdout
    assert _scratch_instances(emulator) == []


def test_dr_drill_that_fails_its_check_still_deletes_the_scratch_instance(emulator, ops, playbook):
    # The emulated endpoint resolves nowhere, so the data check fails: the drill must fail and still clean up.
    run = playbook("playbooks/dr_drill.yml", extra_vars={"dr_drill_connect": True})
    assert run.rc != 0, run.tail()
    assert "Delete the scratch instance" in run.stdout
    assert _scratch_instances(emulator) == []


def _revisions(emulator):
    services = emulator.client("ecs").describe_services(cluster=PREFIX, services=["backend", "frontend"])["services"]
    return {s["serviceName"]: s["taskDefinition"].rsplit("/", 1)[-1] for s in services}


def _image(emulator, revision):
    definition = emulator.client("ecs").describe_task_definition(taskDefinition=revision)["taskDefinition"]
    return definition["containerDefinitions"][0]["image"]


@pytest.fixture
def unhealthy_endpoint():
    """A /api/health that answers 503, as a release whose tasks fail would."""
    with health_endpoint(503) as url:
        yield url


def test_deploy_of_a_good_tag_puts_every_service_on_a_new_revision(emulator, ops, playbook):
    _push_release_images(emulator, "build-2")
    before = _revisions(emulator)
    run = playbook("playbooks/deploy.yml", extra_vars={"deploy_image_tag": "build-2", "deploy_health_url": "",
                                                       "deploy_poll_interval": 2})
    assert run.rc == 0, run.tail()
    after = _revisions(emulator)
    for service in ("backend", "frontend"):
        assert after[service] != before[service], service
        assert _image(emulator, after[service]).endswith("/life-world-os/%s:release-build-2" % service)
    ecr = emulator.client("ecr")
    digests = [ecr.describe_images(repositoryName="life-world-os/backend", imageIds=[{"imageTag": tag}])
               ["imageDetails"][0]["imageDigest"] for tag in ("build-2", "release-build-2")]
    assert digests[0] == digests[1], "the release tag is not the promoted build's image"
    assert "Deployed build-2 as release-build-2" in run.stdout


def test_deploy_of_a_bad_tag_rolls_back_and_fails_saying_why(emulator, ops, playbook, unhealthy_endpoint):
    _push_release_images(emulator, "build-3")
    before = _revisions(emulator)
    run = playbook("playbooks/deploy.yml", extra_vars={"deploy_image_tag": "build-3", "deploy_health_url": unhealthy_endpoint,
                                                       "deploy_timeout": 60, "deploy_poll_interval": 5})
    assert run.rc != 0, run.tail()
    assert "Deployment of build-3 failed" in run.stdout and "503" in run.stdout
    assert "Rolled back to the revisions that ran before" in run.stdout
    assert _revisions(emulator) == before, "services are not back on the revisions they ran before the deploy"


def test_rollback_to_a_named_revision(emulator, ops, playbook):
    run = playbook("playbooks/rollback.yml", extra_vars={"rollback_revision": "1", "rollback_poll_interval": 2})
    assert run.rc == 0, run.tail()
    assert _revisions(emulator) == {"backend": PREFIX + "-backend:1", "frontend": PREFIX + "-frontend:1"}


class _FailingTasks:
    """A FaultProxy rewrite: DescribeServices answers as ECS does when a new revision's tasks cannot start (the
    emulator runs no tasks, and MOTO_ECS_SERVICE_FAILED_TASKS only marks the deployment a service is created with,
    never the one an update starts). A service on a revision outside ``healthy`` gets a PRIMARY deployment of that
    revision with 0 running and one more failed task per poll, the old deployment still ACTIVE, and a service event
    saying why the task stopped. Every other answer passes through untouched.
    ``with FaultProxy(emulator.endpoint, rewrite=_FailingTasks(healthy)) as proxy: ... proxy.endpoint``."""

    REASON = "CannotPullContainerError: pull image manifest has been retried 5 time(s): manifest unknown"

    def __init__(self, healthy):
        self.healthy, self.polls, self.started = set(healthy), {}, {}

    def __call__(self, operation, payload):
        if operation != ("ecs", "DescribeServices"):
            return payload
        return json.dumps(self.rewrite(json.loads(payload))).encode()

    def rewrite(self, answer):
        now = time.time()
        for service in answer.get("services", []):
            name, definition = service["serviceName"], service.get("taskDefinition", "")
            if definition.rsplit("/", 1)[-1] in self.healthy:
                continue
            self.polls[name] = self.polls.get(name, 0) + 1
            self.started.setdefault(name, now - 1)
            old = [dict(d, status="ACTIVE") for d in service.get("deployments", [])[:1]]
            service["deployments"] = [{
                "id": "ecs-svc/failing-%s" % name, "status": "PRIMARY", "taskDefinition": definition,
                "desiredCount": service.get("desiredCount", 2), "runningCount": 0, "pendingCount": 0,
                "failedTasks": self.polls[name], "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": "ECS deployment ecs-svc/failing-%s in progress." % name,
                "createdAt": self.started[name], "updatedAt": now, "launchType": "FARGATE"}] + old
            service["events"] = [{"id": "failing-%d" % self.polls[name], "createdAt": now,
                                  "message": "(service %s) (task %032x) stopped: %s" % (name, self.polls[name], self.REASON)}
                                 ] + service.get("events", [])
        return answer


def test_deploy_whose_new_tasks_fail_to_start_rolls_back_and_fails_saying_why(emulator, ops, playbook):
    _push_release_images(emulator, "build-5")
    before = _revisions(emulator)
    families_before = {s: int(r.rsplit(":", 1)[1]) for s, r in before.items()}
    failing = _FailingTasks(healthy=before.values())
    with FaultProxy(emulator.endpoint, rewrite=failing) as proxy:
        run = playbook("playbooks/deploy.yml", env={"AWS_ENDPOINT_URL": proxy.endpoint},
                       extra_vars={"deploy_image_tag": "build-5", "deploy_health_url": "", "deploy_timeout": 600,
                                   "deploy_poll_interval": 2, "deploy_failed_task_limit": 3})
    assert run.rc != 0, run.tail()
    # The deployment did start: each service was moved to a new revision, whose tasks then failed.
    ecs = emulator.client("ecs")
    for service, revision in families_before.items():
        latest = ecs.describe_task_definition(taskDefinition=PREFIX + "-" + service)["taskDefinition"]["revision"]
        assert latest > revision, "no new revision of %s was registered" % service
    # It stopped at the failed tasks (3 per service), not at the 600 s timeout, and said why.
    assert "Deployment of build-5 failed" in run.stdout, run.tail()
    assert "Tasks of the new revision failed" in run.stdout, run.tail()
    assert "3 tasks failed to start or stopped" in run.stdout and "CannotPullContainerError" in run.stdout, run.tail()
    assert max(failing.polls.values()) < 10, failing.polls
    assert "Rolled back to the revisions that ran before" in run.stdout, run.tail()
    assert _revisions(emulator) == before, "services are not back on the revisions they ran before the deploy"
