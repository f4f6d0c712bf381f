# -*- coding: utf-8 -*-
"""Operations playbooks against one environment built by site.yml in the emulator: the pre-migration checklist
(unmet on an empty account, met on the built one), the post-migration checklist, the diagram of what exists, and
the drift check naming a security-group rule added behind the collection's back."""

import http.server
import json
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from tests.tools.faultproxy import FaultProxy

from .harness import SITE_GROUP, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PREFIX = "life-world-os-local"


def _push_release_images(emulator, tag="local", digit="a"):
    """Images in ECR under a tag (an image manifest is all ECR needs; no Docker here)."""
    ecr = emulator.client("ecr")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7,
                                      "digest": "sha256:" + digit * 64}, "layers": []})
    for repository in ("backend", "frontend"):
        ecr.put_image(repositoryName="life-world-os/" + repository, imageManifest=manifest, imageTag=tag)


def _register_targets(emulator):
    """ECS registers each task's IP in its target group; the emulator's ECS does not, so stand in for it."""
    elbv2 = emulator.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=[PREFIX + "-alb"])["LoadBalancers"][0]
    for index, group in enumerate(elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]):
        elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"],
                               Targets=[{"Id": "10.40.10.%d" % (10 + index), "Port": group["Port"]},
                                        {"Id": "10.40.11.%d" % (10 + index), "Port": group["Port"]}])


@pytest.fixture(scope="module")
def ops(emulator, scratch_emulator, site):
    """The pre-migration checklist on an empty account, then the `site` group's shared build with release images
    and registered targets. Deploys leave the services on other revisions of the same definitions, and the drift
    test removes the rule it adds, so what later modules read (the definitions, rules, secrets) stays as built."""
    scratch_emulator.reset()
    runs = {"preflight_empty": run_playbook(scratch_emulator, "playbooks/preflight.yml")}
    runs["build"] = site.build()
    _push_release_images(emulator)
    _register_targets(emulator)
    runs["preflight_built"] = run_playbook(emulator, "playbooks/preflight.yml")
    runs["verify"] = run_playbook(emulator, "playbooks/verify.yml")
    return runs


def test_preflight_lists_every_unmet_item_on_an_empty_account(ops):
    run = ops["preflight_empty"]
    assert run.rc != 0, run.tail()
    for item in ("Release images in ECR", "Monitoring and alerting configured", "SSL/TLS certificate issued",
                 "Route 53 hosted zone present", "Secrets stored in Secrets Manager", "Security groups reviewed",
                 "IAM roles reviewed", "Database backups enabled"):
        assert "[UNMET] " + item in run.stdout, item
    assert "unmet:" in run.stdout


def test_preflight_passes_on_the_built_environment(ops):
    run = ops["preflight_built"]
    assert run.rc == 0, run.tail()
    assert "[UNMET]" not in run.stdout and "9 of 9 met" in run.stdout


def test_verify_passes_on_the_built_environment(ops):
    run = ops["verify"]
    assert run.rc == 0, run.tail()
    for item in ("Services running the desired task count", "Load-balancer targets healthy",
                 "Alias record points at the ALB", "Alarms exist", "Database backups on"):
        assert "[met]   " + item in run.stdout, item
    # The emulated record is not resolvable from here: the HTTPS check is reported as not checked, not as passed.
    assert "[skip]  /api/health answers over HTTPS" in run.stdout


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

    class Unhealthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Unhealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d/api/health" % server.server_port
    server.shutdown()


def test_deploy_of_a_good_tag_puts_every_service_on_a_new_revision(emulator, ops, playbook):
    _push_release_images(emulator, "build-2", "b")
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
    _push_release_images(emulator, "build-3", "c")
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
    _push_release_images(emulator, "build-5", "e")
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
