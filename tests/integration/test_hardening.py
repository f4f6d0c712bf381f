# -*- coding: utf-8 -*-
"""The hardening check (playbooks/hardening.yml) on an environment built by site.yml in the emulator: the built
environment has no finding; then weaknesses added behind the collection's back with boto3 (a world-open RDS
rule, a `*:*` inline policy on the task role, a log group whose events never expire, a task definition revision
with a password in its plain environment, the audit trail's logging stopped) are each reported, named, and fail the
play."""

import copy
import json
import re

import pytest

from tests.tools.faultproxy import FaultProxy

from .harness import SITE_GROUP, run_playbook
from .test_operations import PREFIX

pytestmark = pytest.mark.xdist_group(SITE_GROUP)
# It weakens the shared build (and puts it back): it runs after the other modules of the group (tests/conftest.py).
SPOILS_SHARED_SITE = True

PLAYBOOK = "playbooks/hardening.yml"
BACKEND_LOG_GROUP = "/ecs/%s/backend" % PREFIX
WORLD_OPEN_RDS_RULE = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


@pytest.fixture(scope="module")
def built(emulator, site):
    """The whole environment (the site build the `site` group shares). Weakened here and put back afterwards
    (`weakened`), so test_teardown, after this module, tears down the same build instead of building it again."""
    site.build()
    return emulator


def _hardening(emulator, **kwargs):
    # JSON results: each report line on one line of output, as the assertions expect.
    return run_playbook(emulator, PLAYBOOK, env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}, **kwargs)


def _findings(run):
    """The FINDING lines of the report, as printed."""
    return sorted({line.strip().strip('",') for line in run.stdout.splitlines() if '"FINDING  ' in line})


def _by_family(run):
    """Findings with task revisions left out: a revision registered as a copy of the current one carries the
    current one's findings, which are not new."""
    return {re.sub(r":\d+/", ":N/", line) for line in _findings(run)}


@pytest.fixture(scope="module")
def clean(built):
    return _hardening(built)


def _weaken(emulator):
    """Weaknesses, each made the way someone with console access would; returns the names to look for."""
    ec2, iam, logs, ecs = (emulator.client(s) for s in ("ec2", "iam", "logs", "ecs"))
    retention = logs.describe_log_groups(logGroupNamePrefix=BACKEND_LOG_GROUP)["logGroups"][0]["retentionInDays"]
    rds_group = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-rds"]}])["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(GroupId=rds_group["GroupId"], IpPermissions=WORLD_OPEN_RDS_RULE)
    iam.put_role_policy(RoleName=PREFIX + "-ecs-task", PolicyName="break-glass", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    logs.delete_retention_policy(logGroupName=BACKEND_LOG_GROUP)
    current = ecs.describe_task_definition(taskDefinition=PREFIX + "-backend")["taskDefinition"]
    containers = copy.deepcopy(current["containerDefinitions"])
    containers[0]["environment"] = containers[0].get("environment", []) + [{"name": "DB_PASSWORD", "value": "hunter2-plain"}]
    keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "volumes", "requiresCompatibilities", "cpu", "memory",
            "containerDefinitions")
    clean = {k: current[k] for k in keep if current.get(k)}
    revision = ecs.register_task_definition(**dict(clean, containerDefinitions=containers))["taskDefinition"]
    emulator.client("cloudtrail").stop_logging(Name=PREFIX + "-trail")
    undo = {"rds_group": rds_group["GroupId"], "revision": revision["taskDefinitionArn"], "retention": retention,
            "clean": clean}
    return undo, {
        "trail": "FINDING  %s-trail | trail is logging | logging is stopped | fix: rerun --tags audit (StartLogging)" % PREFIX,
        "rds": "FINDING  %s-rds (%s) | no ingress from the internet | admits 0.0.0.0/0 on tcp/5432"
               % (PREFIX, rds_group["GroupId"]),
        "iam_actions": "FINDING  %s-ecs-task:break-glass[0] | IAM names its actions | allows *" % PREFIX,
        "iam_resources": "FINDING  %s-ecs-task:break-glass[0] | IAM names its resources" % PREFIX,
        "log_group": "FINDING  %s | log group retention set | events never expire" % BACKEND_LOG_GROUP,
        "task_definition": "FINDING  %s-backend:%d/%s | no secret in plain environment | environment variable "
                           "DB_PASSWORD looks like a credential" % (PREFIX, revision["revision"], containers[0]["name"]),
    }


def _put_back(emulator, undo):
    """Undo _weaken, the way it was done (boto3), and read each item back."""
    ec2, iam, logs, ecs = (emulator.client(s) for s in ("ec2", "iam", "logs", "ecs"))
    ec2.revoke_security_group_ingress(GroupId=undo["rds_group"], IpPermissions=WORLD_OPEN_RDS_RULE)
    iam.delete_role_policy(RoleName=PREFIX + "-ecs-task", PolicyName="break-glass")
    logs.put_retention_policy(logGroupName=BACKEND_LOG_GROUP, retentionInDays=undo["retention"])
    ecs.deregister_task_definition(taskDefinition=undo["revision"])
    # And the clean definition registered again as the newest revision: DescribeTaskDefinition by family answers
    # the newest ACTIVE revision on AWS, but the emulator answers the newest one even when it is inactive, and
    # teardown reads the family's newest revision to deregister the ones up to it.
    ecs.register_task_definition(**undo["clean"])
    emulator.client("cloudtrail").start_logging(Name=PREFIX + "-trail")
    rules = ec2.describe_security_groups(GroupIds=[undo["rds_group"]])["SecurityGroups"][0]["IpPermissions"]
    assert not any(r.get("CidrIp") == "0.0.0.0/0" for rule in rules for r in rule.get("IpRanges", [])), rules
    assert "break-glass" not in iam.list_role_policies(RoleName=PREFIX + "-ecs-task")["PolicyNames"]
    group = logs.describe_log_groups(logGroupNamePrefix=BACKEND_LOG_GROUP)["logGroups"][0]
    assert group.get("retentionInDays") == undo["retention"], group
    assert ecs.describe_task_definition(taskDefinition=undo["revision"])["taskDefinition"]["status"] == "INACTIVE"
    newest = ecs.describe_task_definition(taskDefinition=PREFIX + "-backend")["taskDefinition"]
    assert newest["status"] == "ACTIVE" and newest["containerDefinitions"] == undo["clean"]["containerDefinitions"]
    assert emulator.client("cloudtrail").get_trail_status(Name=PREFIX + "-trail")["IsLogging"]


@pytest.fixture(scope="module")
def weakened(clean, built, site):
    undo, expected = _weaken(built)
    # Once failing (the default) and once report-only, in check mode: the check changes nothing either way.
    yield expected, _hardening(built), _hardening(built, check=True, extra_vars={"hardening_fail_on_findings": False})
    try:
        _put_back(built, undo)
    except Exception:
        site.spoil()  # a weakness may be left: the next module of the group builds afresh
        raise


def test_built_environment_has_no_findings(clean):
    assert _findings(clean) == [], clean.tail()
    assert clean.rc == 0 and "No hardening finding" in clean.stdout, clean.tail()


def test_hardening_findings_figure(clean, record_property):
    """The figure of the issue (target 0, the built environment passes); each finding names resource, check,
    detail and a fix."""
    findings = _findings(clean)
    # Written down, not read back from the same output: a built environment has no finding.
    assert "0 finding(s), " in clean.stdout, clean.tail()
    assert all(line.count(" | ") == 3 and " | fix: " in line for line in findings), findings
    # Everything the check reads was there to be read, not skipped as missing.
    for kind in ("security_groups=4", "iam_roles=4", "db_instances=1", "listeners=2", "services=2", "secrets=3",
                 "kms_keys=3", "trails=1"):
        assert kind in clean.stdout, kind
    # The latest revision of each family plus the ones the services run: 2 on a fresh build, up to 4 once the
    # operations tests sharing this build have deployed and rolled back.
    revisions = re.search(r"task_definitions=(\d+)", clean.stdout)
    assert revisions and 2 <= int(revisions[1]) <= 4, clean.tail()
    record_property("figure:hardening_findings", len(findings))


def _trail_status_without_is_logging(operation, payload):
    """An endpoint whose GetTrailStatus leaves out IsLogging (what the trail check needs); the rest untouched."""
    if operation != ("cloudtrail", "GetTrailStatus"):
        return payload
    answer = json.loads(payload)
    answer.pop("IsLogging", None)
    return json.dumps(answer).encode()


def test_checks_the_emulator_cannot_answer_are_listed_not_passed(clean, built):
    # The pinned emulator answers every check the module makes: nothing is listed as not checkable there.
    assert "0 finding(s), 0 not checkable here" in clean.stdout, clean.tail()
    assert "NOT CHECKABLE HERE" not in clean.stdout
    # An endpoint that does not say whether the trail is logging: that check is listed with the reason, not passed.
    with FaultProxy(built.endpoint, rewrite=_trail_status_without_is_logging) as proxy:
        run = run_playbook(built, PLAYBOOK, env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json", "AWS_ENDPOINT_URL": proxy.endpoint})
    listed = [line.strip().strip('",') for line in run.stdout.splitlines() if '"NOT CHECKABLE HERE  ' in line]
    assert listed == ["NOT CHECKABLE HERE  %s-trail | trail is logging | trail status not reported" % PREFIX], run.tail()
    assert "0 finding(s), 1 not checkable here" in run.stdout, run.tail()


@pytest.mark.parametrize("weakness", ["rds", "iam_actions", "iam_resources", "log_group", "task_definition", "trail"])
def test_each_weakness_is_reported_by_name(weakened, weakness):
    expected, failing, report_only = weakened
    assert failing.rc != 0, failing.tail()
    assert expected[weakness] in failing.stdout, failing.tail()
    assert expected[weakness] in report_only.stdout


def test_only_the_weaknesses_are_new_and_the_failure_names_them(clean, weakened):
    expected, failing, report_only = weakened
    new = sorted(_by_family(failing) - _by_family(clean))
    assert len(new) == 6, new
    assert "Hardening: %d finding(s):" % len(_findings(failing)) in failing.stdout, failing.tail()
    assert "%s-ecs-task:break-glass[0]: IAM names its actions" % PREFIX in failing.stdout
    assert report_only.rc == 0 and report_only.changed == 0, report_only.tail()
    assert _findings(report_only) == _findings(failing)
    # The password put in the plain environment is named, never printed.
    assert "hunter2-plain" not in failing.stdout + failing.stderr + report_only.stdout
