# -*- coding: utf-8 -*-
"""Filters of the operations playbooks: drift report, checklist table, live security-group / IAM / service / target
findings."""

import json

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.lifeworld.production.plugins.filter import operations as ops


def _json_run(*tasks):
    """ansible.posix.json output of one play with (name, path, changed, failed) tasks."""
    return json.dumps({"plays": [{"play": {"name": "p"}, "tasks": [
        {"task": {"name": name, "path": "/x/roles/" + path}, "hosts": {"localhost": {"changed": changed, "failed": failed}}}
        for name, path, changed, failed in tasks]}]})


def test_drift_report_names_changed_tasks_per_component():
    runs = [
        {"item": "network", "rc": 0, "stdout": _json_run(("vpc : Ensure the VPC", "vpc/tasks/vpc.yml:2", False, False))},
        {"item": "security", "rc": 0, "stdout": _json_run(
            ("security_groups : Ensure the groups", "security_groups/tasks/groups.yml:3", True, False))},
        {"item": "data", "rc": 2, "stdout": _json_run(("rds : Instance", "rds/tasks/instance.yml:1", False, True))},
    ]
    report = ops.drift_report(runs)
    assert report["network"] == {"status": "clean", "changed": [], "failed": []}
    assert report["security"]["status"] == "drifted"
    assert report["security"]["changed"] == ["security_groups : Ensure the groups (security_groups/tasks/groups.yml:3)"]
    assert report["data"]["status"] == "failed"
    lines = ops.drift_lines(report)
    assert "security       drifted" in lines and any("would change: security_groups" in line for line in lines)


def test_drift_report_reports_a_run_that_printed_no_json():
    with pytest.raises(AnsibleFilterError, match="did not print JSON"):
        ops.drift_report([{"item": "network", "rc": 4, "stdout": "ERROR! the playbook could not be found"}])


def test_drift_report_fails_a_component_whose_run_crashed_without_a_failed_task():
    report = ops.drift_report([{"item": "edge", "rc": 1, "stdout": "{}", "stderr": "boom"}])
    assert report["edge"]["status"] == "failed" and "exited 1" in report["edge"]["failed"][0]


def test_checklist_counts_met_unmet_and_skipped():
    result = ops.checklist([{"item": "a", "met": True}, {"item": "b", "met": False, "detail": "why"},
                            {"item": "c", "met": False, "skipped": True}])
    assert result["unmet"] == ["b (why)"] and result["met_count"] == 1 and result["total"] == 3
    assert result["table"][1].startswith("[UNMET] b") and result["table"][2].startswith("[skip]")
    with pytest.raises(AnsibleFilterError):
        ops.checklist([{"item": "no verdict"}])


GROUPS = {
    "alb": {"id": "sg-alb", "ingress": [{"from_port": 443, "cidrs": ["203.0.113.0/26"], "groups": []}]},
    "ecs": {"id": "sg-ecs", "ingress": [{"from_port": 3001, "cidrs": [], "groups": ["sg-alb"]}]},
    "rds": {"id": "sg-rds", "ingress": [{"from_port": 5432, "cidrs": ["198.51.100.20/32"], "groups": ["sg-ecs"]}]},
}


def test_security_groups_as_planned_have_no_findings():
    assert ops.security_group_findings(GROUPS, ["203.0.113.0/26"], ["198.51.100.20/32"]) == []


def test_security_group_findings_name_the_extra_source():
    groups = json.loads(json.dumps(GROUPS))
    groups["rds"]["ingress"].append({"from_port": 5432, "cidrs": ["0.0.0.0/0"], "groups": []})
    groups["ecs"]["ingress"].append({"from_port": 22, "cidrs": ["10.0.0.0/8"], "groups": []})
    findings = ops.security_group_findings(groups, ["203.0.113.0/26"], ["198.51.100.20/32"])
    assert any("rds admits 0.0.0.0/0 on port 5432" in f for f in findings)
    assert any("ecs admits 10.0.0.0/8 on port 22" in f for f in findings)
    assert ops.security_group_findings({"alb": GROUPS["alb"]}, [], []) == ["ecs security group is missing",
                                                                            "rds security group is missing"]


def test_iam_findings_use_the_roles_statement_checks():
    good = {"Statement": [{"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": ["arn:aws:logs:*:1:log-group:x"]}]}
    bad = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}
    roles = {"ecs-task-execution": {"name": "p-ecs-task-execution", "inline_policies": {"logs": good}},
             "ecs-task": {"name": "p-ecs-task", "inline_policies": {"app": bad}}}
    findings = ops.iam_findings(roles)
    assert "role rds-monitoring is missing" in findings
    assert any("p-ecs-task:app" in f and "s3:*" in f for f in findings)
    assert not any("p-ecs-task-execution" in f for f in findings)


def test_service_and_target_findings():
    assert ops.service_findings([]) == ["no ECS service"]
    assert ops.service_findings([{"name": "backend", "running": 1, "desired": 2},
                                 {"name": "frontend", "running": 2, "desired": 2}]) == ["backend 1/2 running"]
    assert ops.target_findings(None) == ["no load balancer"]
    lb = {"name": "alb", "target_groups": [{"name": "be", "healthy": 2, "targets": 2}, {"name": "fe", "healthy": 0, "targets": 0}]}
    assert ops.target_findings(lb) == ["fe 0/0 healthy"]
