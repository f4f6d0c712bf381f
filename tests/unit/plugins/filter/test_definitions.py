# -*- coding: utf-8 -*-
"""The definitions the ecs, iam and security_groups roles apply and playbooks/export.yml writes."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.lifeworld.production.plugins.filter import definitions as d
from ansible_collections.lifeworld.production.plugins.filter import export as e

SERVICE = {"name": "backend", "family": "p-backend", "image": "1.dkr.ecr.r.amazonaws.com/p/backend:prod", "port": "3001",
           "cpu": 512, "memory": 1024, "environment": {"NODE_ENV": "production"},
           "secrets": [{"name": "JWT_SECRET", "secret": "jwt-secret"},
                       {"name": "DB_PASSWORD", "secret": "db-master", "json_key": "password"}],
           "user": "1000:1000", "readonly_root_filesystem": True, "writable_paths": ["/tmp"],
           "health_check_command": "true", "health_check_start_period": 60, "log_group": "/ecs/p/backend",
           "target_group": "p-be", "xray_image": "x"}
SETTINGS = {"cluster": "p", "region": "eu-west-1", "xray_enabled": False, "desired_count": "2", "min_tasks": 2,
            "max_tasks": 10, "cpu_target_percent": 60, "memory_target_percent": 75, "scale_in_cooldown": 300,
            "scale_out_cooldown": 60, "health_check_grace_period": 60, "minimum_healthy_percent": 100,
            "maximum_percent": 200, "execution_role": "p-ecs-task-execution", "task_role": "p-ecs-task",
            "security_group": "p-ecs", "secret_path": "p/prod/", "name_prefix": "p", "tags": {"Project": "p"}}
REFS = {"iam_role_arns": {"p-ecs-task-execution": "arn:exec", "p-ecs-task": "arn:task"},
        "secret_arns": {"jwt-secret": "arn:jwt-AbCdEf", "db-master": "arn:db-GhIjKl"},
        "security_group_ids": {"p-ecs": "sg-1"}, "subnet_ids": {"private": ["subnet-a", "subnet-b"]},
        "target_group_arns": {"p-be": "arn:tg"}, "service_discovery_arns": {"backend": "arn:sd"}}


def test_ecs_definitions_use_what_the_lookups_found():
    definition = d.ecs_definitions([SERVICE], SETTINGS, REFS)["backend"]
    task = definition["task_definition"]
    assert (task["cpu"], task["memory"], task["executionRoleArn"], task["taskRoleArn"]) == ("512", "1024", "arn:exec", "arn:task")
    assert {s["name"]: s["valueFrom"] for s in task["containerDefinitions"][0]["secrets"]} == {
        "JWT_SECRET": "arn:jwt-AbCdEf", "DB_PASSWORD": "arn:db-GhIjKl:password::"}
    service = definition["service"]
    assert service["networkConfiguration"]["awsvpcConfiguration"] == {
        "subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}
    assert service["serviceRegistries"] == [{"registryArn": "arn:sd"}] and service["desiredCount"] == 2
    assert service["loadBalancers"] == [{"targetGroupArn": "arn:tg", "containerName": "backend", "containerPort": 3001}]
    assert {"key": "Name", "value": "backend"} in service["tags"]
    scaling = definition["auto_scaling"]
    assert scaling["scalableTarget"]["ResourceId"] == "service/p/backend"
    assert [p["PolicyName"] for p in scaling["scalingPolicies"]] == ["p-backend-cpu", "p-backend-memory"]


def test_ecs_definitions_in_export_mode_name_what_only_aws_knows():
    definition = d.ecs_definitions([SERVICE], SETTINGS, {}, placeholders=True)["backend"]
    task, service = definition["task_definition"], definition["service"]
    assert task["executionRoleArn"] == "${iam_role_arn:p-ecs-task-execution}"
    assert task["containerDefinitions"][0]["secrets"][0]["valueFrom"] == "${secret_arn:p/prod/db-master}:password::"
    assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["${subnet_ids:private}"]
    assert service["loadBalancers"][0]["targetGroupArn"] == "${target_group_arn:p-be}"
    assert service["serviceRegistries"] == [{"registryArn": "${service_discovery_arn:backend}"}]


def test_ecs_definitions_without_placeholders_leave_unknown_registries_out():
    refs = dict(REFS, service_discovery_arns={})
    assert d.ecs_definitions([SERVICE], SETTINGS, refs)["backend"]["service"]["serviceRegistries"] == []


def test_ecs_definitions_name_missing_settings():
    with pytest.raises(AnsibleFilterError, match="cluster"):
        d.ecs_definitions([SERVICE], {k: v for k, v in SETTINGS.items() if k != "cluster"}, REFS)


def test_target_tracking_policies_are_the_modules_options():
    policies = d.ecs_definitions([SERVICE], SETTINGS, REFS)["backend"]["auto_scaling"]["scalingPolicies"]
    assert d.target_tracking_policies(policies)[1] == {
        "name": "p-backend-memory", "predefined_metric": "ECSServiceAverageMemoryUtilization", "target_value": 75.0,
        "scale_in_cooldown": 300, "scale_out_cooldown": 60}


def test_security_group_permissions_merge_per_port_and_sort_sources():
    rules = [{"cidr_ip": ["203.0.113.0/24", "198.51.100.7/32"], "ports": ["443", "80"], "rule_desc": "Clients"},
             {"group_id": ["sg-9"], "ports": ["443"], "rule_desc": "Peers"},
             {"cidr_ip": "2001:db8::/32", "ports": ["1000-2000"], "rule_desc": "v6"}]
    assert d.security_group_permissions(rules) == [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "Ipv6Ranges": [], "UserIdGroupPairs": [],
         "IpRanges": [{"CidrIp": "198.51.100.7/32", "Description": "Clients"}, {"CidrIp": "203.0.113.0/24", "Description": "Clients"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [],
         "IpRanges": [{"CidrIp": "198.51.100.7/32", "Description": "Clients"}, {"CidrIp": "203.0.113.0/24", "Description": "Clients"}],
         "UserIdGroupPairs": [{"GroupId": "sg-9", "Description": "Peers"}]},
        {"IpProtocol": "tcp", "FromPort": 1000, "ToPort": 2000, "IpRanges": [], "UserIdGroupPairs": [],
         "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32", "Description": "v6"}]},
    ]


def test_iam_role_definitions_keep_only_present_inline_policies():
    roles = [{"name": "p-ecs-task", "description": "app", "trust_policy": {"Version": "2012-10-17"}, "managed_policies": []}]
    policies = [{"role": "p-ecs-task", "name": "application", "policy": {"Statement": []}, "state": "absent"},
                {"role": "p-ecs-task", "name": "extra", "policy": {"Statement": [1]}, "state": "present"},
                {"role": "other", "name": "x", "policy": {}, "state": "present"}]
    [role] = d.iam_role_definitions(roles, policies, {"Project": "p"})
    assert role["InlinePolicies"] == {"extra": {"Statement": [1]}}
    assert role["Tags"] == [{"Key": "Name", "Value": "p-ecs-task"}, {"Key": "Project", "Value": "p"}]


def test_export_files_follow_the_plans_layout():
    assert [f["path"] for f in e.export_ecs_files({"key": "backend", "value": {
        "task_definition": {}, "service": {}, "auto_scaling": {}}}, "prod")] == [
        "ecs/task-definitions/backend-prod.json", "ecs/services/backend-prod.json", "ecs/autoscaling/backend-prod.json"]
    assert e.export_iam_file({"RoleName": "lwo-production-ecs-task-execution"}, "lwo-production-")["path"] == \
        "iam/ecs-task-execution-role.json"
    assert e.export_security_group_file({"GroupName": "lwo-production-alb"}, "lwo-production-", "prod")["path"] == \
        "security-groups/alb-prod.json"
    with pytest.raises(AnsibleFilterError, match="auto_scaling"):
        e.export_ecs_files({"key": "backend", "value": {"task_definition": {}, "service": {}}}, "prod")


def test_ecs_definitions_in_export_mode_name_the_rds_managed_secret_by_its_instance():
    """RDS names the master secret itself (rds!db-...): the export's placeholder names the instance."""
    service = dict(SERVICE, secrets=[{"name": "DB_PASSWORD", "secret": "rds-master", "json_key": "password"}])
    settings = dict(SETTINGS, rds_master={"rds-master": "p-db"})
    task = d.ecs_definitions([service], settings, {}, placeholders=True)["backend"]["task_definition"]
    assert task["containerDefinitions"][0]["secrets"] == [
        {"name": "DB_PASSWORD", "valueFrom": "${rds_master_secret_arn:p-db}:password::"}]
