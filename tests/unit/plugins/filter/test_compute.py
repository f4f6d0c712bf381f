# -*- coding: utf-8 -*-
"""Compute filters: the ECS inventory checks name the variable at fault, and container definitions keep
credentials in `secrets`, the root filesystem read-only and the user non-root."""

import copy

import pytest

from ansible_collections.lifeworld.production.plugins.filter.compute import (
    ecs_container_definitions,
    ecs_problems,
    ecs_task_definition_ref,
    ecs_task_volumes,
    fargate_size_problems,
)

SETTINGS = {
    "ecs_min_tasks": 2, "ecs_max_tasks": 10, "ecs_desired_count": 2, "ecs_cpu_target_percent": 60,
    "ecs_memory_target_percent": 75, "ecs_deployment_minimum_healthy_percent": 100,
    "ecs_deployment_maximum_percent": 200,
}
BACKEND = {
    "name": "backend", "family": "p-backend", "image": "123.dkr.ecr.us-east-1.amazonaws.com/p/backend:prod",
    "port": 3001, "cpu": 512, "memory": 1024, "environment": {"NODE_ENV": "production"},
    "secrets": [{"name": "JWT_SECRET", "secret": "jwt-secret"},
                {"name": "DB_PASSWORD", "secret": "db-master", "json_key": "password"}],
    "user": "1000:1000", "readonly_root_filesystem": True, "writable_paths": ["/tmp"],
    "health_check_command": "wget -qO- http://127.0.0.1:3001/api/health || exit 1", "health_check_start_period": 60,
    "log_group": "/ecs/p/backend", "target_group": "p-be", "xray_image": "xray:3",
    "vars": {"image": "ecs_backend_image", "port": "ecs_backend_port", "cpu": "ecs_backend_cpu",
             "memory": "ecs_backend_memory", "environment": "ecs_backend_environment",
             "secrets": "ecs_backend_secrets", "user": "ecs_backend_user"},
}
FRONTEND = dict(copy.deepcopy(BACKEND), name="frontend", port=80, cpu=256, memory=512, secrets=[], user="101:101",
                writable_paths=["/tmp", "/var/cache/nginx"],
                vars={k: v.replace("backend", "frontend") for k, v in BACKEND["vars"].items()})
ARNS = {"jwt-secret": "arn:aws:secretsmanager:us-east-1:123:secret:p/jwt-secret-AbCdEf",
        "db-master": "arn:aws:secretsmanager:us-east-1:123:secret:p/db-master-GhIjKl"}


def problems(settings=None, services=None):
    return ecs_problems(dict(SETTINGS, **(settings or {})), services or [BACKEND, FRONTEND])


def test_valid_inventory_has_no_problem():
    assert problems() == []


@pytest.mark.parametrize("cpu,memory", [(256, 512), (256, 2048), (512, 4096), (1024, 8192), (4096, 30720),
                                        (8192, 61440), (16384, 122880)])
def test_fargate_sizes_that_exist(cpu, memory):
    assert fargate_size_problems(cpu, memory, "c", "m") == []


@pytest.mark.parametrize("cpu,memory", [(256, 4096), (512, 512), (1024, 1024), (4096, 31744), (8192, 18432)])
def test_fargate_sizes_that_do_not_exist_name_both_variables(cpu, memory):
    [message] = fargate_size_problems(cpu, memory, "ecs_backend_cpu", "ecs_backend_memory")
    assert message.startswith("ecs_backend_cpu/ecs_backend_memory:") and str(memory) in message


def test_unknown_cpu_size_names_the_cpu_variable():
    [message] = fargate_size_problems(300, 512, "ecs_frontend_cpu", "ecs_frontend_memory")
    assert message.startswith("ecs_frontend_cpu:")


def test_min_above_max_and_desired_outside_range():
    found = problems({"ecs_min_tasks": 11})
    assert any(p.startswith("ecs_min_tasks: 11 is above ecs_max_tasks") for p in found)
    assert any(p.startswith("ecs_desired_count:") for p in problems({"ecs_desired_count": 11}))
    assert any(p.startswith("ecs_desired_count:") for p in problems({"ecs_desired_count": 1}))


def test_targets_and_deployment_percentages():
    assert any(p.startswith("ecs_cpu_target_percent:") for p in problems({"ecs_cpu_target_percent": 0}))
    assert any(p.startswith("ecs_deployment_maximum_percent:") for p in problems({"ecs_deployment_maximum_percent": 90}))
    assert any("would stop every task" in p for p in problems(
        {"ecs_deployment_minimum_healthy_percent": 0, "ecs_deployment_maximum_percent": 100}))


def test_credential_in_plain_environment_is_refused_naming_both_variables():
    backend = dict(BACKEND, environment={"NODE_ENV": "production", "GITHUB_TOKEN": "x"})
    [message] = problems(services=[backend, FRONTEND])
    assert message.startswith("ecs_backend_environment:") and "ecs_backend_secrets" in message


def test_root_user_duplicate_port_and_bad_secret_entry():
    frontend = dict(FRONTEND, user="0", port=3001, secrets=[{"name": "X"}])
    found = problems(services=[BACKEND, frontend])
    assert any(p.startswith("ecs_frontend_user:") for p in found)
    assert any(p.startswith("ecs_frontend_port: port 3001 is already used") for p in found)
    assert any(p.startswith("ecs_frontend_secrets[0]:") for p in found)


def test_container_definition_injects_secrets_by_arn_and_json_key():
    [app] = ecs_container_definitions(BACKEND, ARNS, "us-east-1")
    assert {s["name"]: s["valueFrom"] for s in app["secrets"]} == {
        "JWT_SECRET": ARNS["jwt-secret"], "DB_PASSWORD": ARNS["db-master"] + ":password::"}
    assert app["environment"] == [{"name": "NODE_ENV", "value": "production"}]
    assert app["readonlyRootFilesystem"] is True and app["user"] == "1000:1000"
    assert app["mountPoints"] == [{"sourceVolume": "backend-tmp", "containerPath": "/tmp", "readOnly": False}]
    assert app["logConfiguration"]["options"]["awslogs-group"] == "/ecs/p/backend"
    assert "systemControls" not in app


def test_non_root_frontend_on_port_80_lowers_the_unprivileged_port_floor():
    [app] = ecs_container_definitions(FRONTEND, ARNS, "us-east-1")
    assert app["systemControls"] == [{"namespace": "net.ipv4.ip_unprivileged_port_start", "value": "80"}]
    assert ecs_task_volumes(FRONTEND) == [{"name": "frontend-tmp"}, {"name": "frontend-var-cache-nginx"}]


def test_xray_sidecar_is_added_and_the_app_told_where_it_is():
    app, xray = ecs_container_definitions(BACKEND, ARNS, "us-east-1", xray_enabled=True)
    assert xray["name"] == "xray-daemon" and xray["essential"] is False and xray["image"] == "xray:3"
    assert {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "127.0.0.1:2000"} in app["environment"]


def test_task_definition_ref_is_family_revision_or_family_in_check_mode():
    item = [BACKEND, {}]
    assert ecs_task_definition_ref({"taskdefinition": {"family": "p-backend", "revision": 3}, "item": item}) == "p-backend:3"
    assert ecs_task_definition_ref({"item": item}) == "p-backend"
