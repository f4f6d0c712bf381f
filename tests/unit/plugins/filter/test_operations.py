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


def test_drift_report_names_the_loop_items_that_would_change():
    output = json.dumps({"plays": [{"tasks": [{"task": {"name": "sg : Rules", "path": "/r/roles/sg/tasks/rules.yml:3"},
                                               "hosts": {"localhost": {"changed": True, "results": [
                                                   {"changed": False, "_ansible_item_label": "p-alb"},
                                                   {"changed": True, "_ansible_item_label": "p-rds"}]}}}]}]})
    report = ops.drift_report([{"item": "security", "rc": 0, "stdout": output}])
    assert report["security"]["changed"] == ["sg : Rules (sg/tasks/rules.yml:3) [p-rds]"]


def test_drift_report_reports_a_run_that_printed_no_json():
    with pytest.raises(AnsibleFilterError, match="did not print JSON"):
        ops.drift_report([{"item": "network", "rc": 4, "stdout": "ERROR! the playbook could not be found"}])


def test_drift_report_fails_a_component_whose_run_matched_no_host():
    # What ansible.posix.json prints for "skipping: no hosts matched": the play, no task, no host in the stats.
    nothing = json.dumps({"plays": [{"play": {"name": "Network"}, "tasks": []}], "stats": {}})
    report = ops.drift_report([{"item": "network", "rc": 0, "stdout": nothing}])
    assert report["network"]["status"] == "failed"
    assert report["network"]["failed"] == [
        "checked nothing: the nested run matched no host (is this inventory's host in the aws group?)"]
    assert ops.drift_report([{"item": "network", "rc": 0, "stdout": "{}"}])["network"]["status"] == "failed"


def test_drift_report_fails_a_component_whose_run_crashed_without_a_failed_task():
    report = ops.drift_report([{"item": "edge", "rc": 1, "stdout": "{}", "stderr": "boom"}])
    assert report["edge"]["status"] == "failed" and "exited 1" in report["edge"]["failed"][0]


def test_checklist_counts_met_and_unmet():
    result = ops.checklist([{"item": "a", "met": True}, {"item": "b", "met": False, "detail": "why"},
                            {"item": "c", "met": "False"}])
    assert result["unmet"] == ["b (why)", "c"] and result["met_count"] == 1 and result["total"] == 3
    assert result["table"][1].startswith("[UNMET] b") and result["table"][2].startswith("[UNMET] c")
    with pytest.raises(AnsibleFilterError):
        ops.checklist([{"item": "no verdict"}])


def test_checklist_has_no_skip_an_item_that_could_not_be_checked_is_unmet():
    # Changed on purpose (issue 13): "skipped" used to show an unreachable endpoint as neither met nor unmet.
    with pytest.raises(AnsibleFilterError, match="no 'skipped'"):
        ops.checklist([{"item": "c", "met": False, "skipped": True}])


def _measured(requests=600, elb_5xx=None, target_5xx=None, healthy=(2, 2), running=(2, 2)):
    return {"window_minutes": 10,
            "load_balancer": {"name": "p-alb", "requests": requests, "elb_5xx": elb_5xx, "target_5xx": target_5xx},
            "target_groups": [{"name": "p-be", "healthy": healthy[0]}, {"name": "p-fe", "healthy": healthy[1]}],
            "services": [{"name": "backend", "running": running[0]}, {"name": "frontend", "running": running[1]}]}


def test_metric_findings_pass_when_every_figure_is_within_its_bound():
    result = ops.metric_findings(_measured(target_5xx=6))
    assert result["findings"] == []
    assert result["summary"] == ("last 10 min: p-alb: 600 requests, 6 5xx (1.00%), p-be >= 2 healthy, p-fe >= 2 healthy, "
                                 "backend >= 2 running, frontend >= 2 running")


def test_metric_findings_name_every_absent_figure():
    result = ops.metric_findings(_measured(requests=None, healthy=(None, 2), running=(2, None)))
    assert result["findings"] == [
        "p-alb: no RequestCount datapoint in the last 10 min (the ALB measured no traffic)",
        "p-be: no HealthyHostCount datapoint in the last 10 min",
        "frontend: no RunningTaskCount (Container Insights) datapoint in the last 10 min"]
    assert ops.metric_findings(None)["findings"] == ["no CloudWatch figures were read"]
    empty = ops.metric_findings({"window_minutes": 5, "load_balancer": None, "target_groups": [], "services": []})
    assert empty["findings"] == ["no load balancer to measure", "no ECS service to measure"]


def test_metric_findings_bounds_come_from_the_plan_and_the_inventory_may_only_tighten_them():
    # 7 of 600 answers are 5xx: 1.17 %, above the 1 % ceiling; ELB and target 5xx are added up.
    assert ops.metric_findings(_measured(elb_5xx=2, target_5xx=5))["findings"] == [
        "p-alb: 600 requests, 7 5xx (1.17%), above 1%"]
    # The plan's 2 tasks: 1 healthy host or running task is too few, whatever the inventory says.
    low = ops.metric_findings(_measured(healthy=(1, 2), running=(2, 1)), min_tasks=1)["findings"]
    assert low == ["p-be: 1 healthy hosts at the lowest, fewer than 2", "frontend: 1 running tasks at the lowest, fewer than 2"]
    # An inventory may raise the floor and lower the ceiling...
    raised = ops.metric_findings(_measured(target_5xx=3), min_tasks=3, max_5xx_percent=0.1)["findings"]
    assert raised == ["p-alb: 600 requests, 3 5xx (0.50%), above 0.1%",
                      "p-be: 2 healthy hosts at the lowest, fewer than 3", "p-fe: 2 healthy hosts at the lowest, fewer than 3",
                      "backend: 2 running tasks at the lowest, fewer than 3", "frontend: 2 running tasks at the lowest, fewer than 3"]
    # ...but not the other way round.
    assert ops.metric_findings(_measured(target_5xx=12), max_5xx_percent=50)["findings"] == [
        "p-alb: 600 requests, 12 5xx (2.00%), above 1%"]


def test_backup_retention_floor_is_the_plans_seven_days_unless_the_inventory_asks_more():
    assert ops.backup_retention_floor(None) == 7
    assert ops.backup_retention_floor(1) == 7
    assert ops.backup_retention_floor("14") == 14


GROUPS = {
    "alb": {"id": "sg-alb", "ingress": [{"from_port": 443, "cidrs": ["203.0.113.0/26"], "groups": []}]},
    "ecs": {"id": "sg-ecs", "ingress": [{"from_port": 3001, "cidrs": [], "groups": ["sg-alb"]}]},
    "rds": {"id": "sg-rds", "ingress": [{"from_port": 5432, "cidrs": ["198.51.100.20/32"], "groups": ["sg-ecs"]}]},
}


def test_security_groups_as_planned_have_no_findings():
    assert ops.security_group_findings(GROUPS, ["203.0.113.0/26"], ["198.51.100.20/32"]) == []


def test_rds_admits_the_client_vpn_window_but_no_cidr_and_no_other_group():
    """Preflight runs with the migration window open: RDS <- the Client VPN group passes; the old standing
    migration CIDR and any other group do not."""
    groups = json.loads(json.dumps(GROUPS))
    groups["client_vpn"] = {"id": "sg-vpn", "ingress": []}
    groups["rds"]["ingress"] = [{"from_port": 5432, "cidrs": [], "groups": ["sg-ecs", "sg-vpn"]}]
    assert ops.security_group_findings(groups, ["203.0.113.0/26"]) == []
    groups["rds"]["ingress"].append({"from_port": 5432, "cidrs": ["198.51.100.20/32"], "groups": ["sg-other"]})
    assert ops.security_group_findings(groups, ["203.0.113.0/26"]) == [
        "rds admits 198.51.100.20/32, sg-other on port 5432 (only ECS and the Client VPN's migration window may)"]


def test_security_group_findings_name_the_extra_source():
    groups = json.loads(json.dumps(GROUPS))
    groups["rds"]["ingress"].append({"from_port": 5432, "cidrs": ["0.0.0.0/0"], "groups": []})
    groups["ecs"]["ingress"].append({"from_port": 22, "cidrs": ["10.0.0.0/8"], "groups": []})
    findings = ops.security_group_findings(groups, ["203.0.113.0/26"], ["198.51.100.20/32"])
    assert any("rds admits 0.0.0.0/0 on port 5432" in f for f in findings)
    assert any("ecs admits 10.0.0.0/8 on port 22" in f for f in findings)
    missing = ["ecs security group is missing", "rds security group is missing"]
    assert ops.security_group_findings({"alb": GROUPS["alb"]}, [], []) == missing


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


def _service(name, revision, running=2, desired=2, deployments=None):
    return {"serviceName": name, "status": "ACTIVE", "runningCount": running, "desiredCount": desired,
            "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/p-%s:%d" % (name, revision),
            "deployments": deployments if deployments is not None else [{"status": "PRIMARY", "rolloutState": "COMPLETED"}]}


def test_rollout_status_completed_in_progress_and_failed():
    info = {"services": [
        _service("backend", 3),
        _service("frontend", 5, running=1, deployments=[
            {"status": "PRIMARY", "rolloutState": "IN_PROGRESS"}, {"status": "ACTIVE", "rolloutState": "COMPLETED"}]),
    ]}
    status = {s["name"]: s for s in ops.rollout_status(info, {"backend": "p-backend:3", "frontend": "p-frontend:5"})}
    assert status["backend"]["state"] == "COMPLETED" and status["frontend"]["state"] == "IN_PROGRESS"
    failed = ops.rollout_status({"services": [_service("backend", 3, deployments=[
        {"status": "PRIMARY", "rolloutState": "FAILED", "rolloutStateReason": "tasks failed to start"}])]})
    assert failed[0]["state"] == "FAILED" and "tasks failed to start" in failed[0]["summary"]
    # ECS's circuit breaker put the old revision back: the deployment failed even though the rollout completed.
    rolled_back = ops.rollout_status({"services": [_service("backend", 2)]}, {"backend": "p-backend:3"})
    assert rolled_back[0]["state"] == "FAILED" and "expected p-backend:3" in rolled_back[0]["summary"]
    assert ops.running_revisions(info) == {"backend": "p-backend:3", "frontend": "p-frontend:5"}


def test_rollback_targets_previous_and_named():
    services = [{"name": "backend", "task_definition": "p-backend:4", "revisions": ["p-backend:1", "p-backend:2", "p-backend:4"]},
                {"name": "frontend", "task_definition": "p-frontend:1", "revisions": ["p-frontend:1"]}]
    assert ops.rollback_targets(services, ["backend"]) == {"backend": "p-backend:2"}
    assert ops.rollback_targets(services, ["backend"], "1") == {"backend": "p-backend:1"}
    with pytest.raises(AnsibleFilterError, match="frontend: no active revision of p-frontend before 1"):
        ops.rollback_targets(services, ["backend", "frontend"])
    with pytest.raises(AnsibleFilterError, match="revision 3 of p-backend is not active"):
        ops.rollback_targets(services, ["backend"], "3")


def test_iam_findings_accept_the_statements_the_iam_role_writes_itself():
    own = {"Statement": [{"Sid": "XRayTracesAreAccountWide", "Effect": "Allow",
                          "Action": ["xray:PutTraceSegments"], "Resource": "*"}]}
    roles = {part: {"name": "p-" + part, "inline_policies": {"app": own}}
             for part in ("ecs-task-execution", "ecs-task", "rds-monitoring")}
    assert ops.iam_findings(roles) == []


ROLLBACK = [{"service": "backend", "revision": "p-backend:3", "status": "ACTIVE",
             "images": [{"image": "1.dkr.ecr.us-east-1.amazonaws.com/lwo/backend:r3", "in_ecr": True}]},
            {"service": "frontend", "revision": "p-frontend:3", "status": "ACTIVE",
             "images": [{"image": "1.dkr.ecr.us-east-1.amazonaws.com/lwo/frontend:r3", "in_ecr": True}]}]
DATABASES = [{"identifier": "p-db", "role": "primary", "latest_restorable_time": "2026-12-05 08:55:00+00:00"}]


def test_rollback_findings_pass_with_active_revisions_their_images_and_a_restorable_database():
    assert ops.rollback_findings(ROLLBACK, DATABASES) == {
        "findings": [], "summary": "p-backend:3, p-frontend:3, p-db restorable to 2026-12-05 08:55:00+00:00"}


def test_rollback_findings_leave_third_party_images_to_their_publishers():
    sidecar = {"image": "public.ecr.aws/xray/aws-xray-daemon:3.3.14", "in_ecr": None}
    with_sidecars = [dict(entry, images=entry["images"] + [sidecar]) for entry in ROLLBACK]
    assert ops.rollback_findings(with_sidecars, DATABASES)["findings"] == []


def test_rollback_findings_name_what_a_rollback_could_not_use():
    broken = [dict(ROLLBACK[0], images=[{"image": "1.dkr.ecr.us-east-1.amazonaws.com/lwo/backend:r3", "in_ecr": False}]),
              dict(ROLLBACK[1], status="INACTIVE", images=[{"image": "nginx:1.27", "in_ecr": None}])]
    result = ops.rollback_findings(broken, [dict(DATABASES[0], latest_restorable_time="")])
    assert result["findings"] == [
        "backend: 1.dkr.ecr.us-east-1.amazonaws.com/lwo/backend:r3 is missing in ECR",
        "frontend: revision p-frontend:3 is INACTIVE",
        "frontend: revision p-frontend:3 names no image in the account's ECR (no release to return to)",
        "p-db: no restorable time (no automated backup to restore from)"]
    assert ops.rollback_findings([], [])["findings"] == ["no ECS service: no revision to roll back to",
                                                         "no database: no backup to restore"]
