# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compute filters: validate the ECS inventory before any AWS call, and build Fargate container definitions.

Validation lives here rather than in Jinja so every message names the variable at fault and the checks that
argument_specs cannot express (cross-variable ranges, Fargate's cpu/memory table) run before any AWS call.
"""

from __future__ import annotations

import re

# Fargate's task sizes: cpu units -> the memory sizes (MiB) it accepts.
FARGATE_SIZES = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}

# Environment names that say "this is a credential": such values belong in Secrets Manager.
SECRET_LOOKING = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)

XRAY_DAEMON = {"name": "xray-daemon", "cpu": 32, "memory_reservation": 256, "port": 2000}


def _int(value, label, problems):
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append("%s: '%s' is not an integer" % (label, value))
        return None


def fargate_size_problems(cpu, memory, cpu_var, memory_var):
    problems = []
    cpu_i, memory_i = _int(cpu, cpu_var, problems), _int(memory, memory_var, problems)
    if problems:
        return problems
    if cpu_i not in FARGATE_SIZES:
        return ["%s: %s is not a Fargate cpu size; choose one of %s" % (cpu_var, cpu, sorted(FARGATE_SIZES))]
    allowed = FARGATE_SIZES[cpu_i]
    if memory_i not in allowed:
        return [
            "%s/%s: Fargate does not offer %s cpu units with %s MiB; with %s cpu units memory must be one of %s"
            % (cpu_var, memory_var, cpu, memory, cpu, allowed)
        ]
    return []


def ecs_problems(settings, services):
    """Problems with the ECS inventory, each naming its variable.

    ``settings``: variable name -> value for the scalar settings (ecs_min_tasks, ...).
    ``services``: the role's service list (vars/main.yml), each carrying the variable names of its own inputs.
    """
    problems = []
    s = settings
    minimum = _int(s["ecs_min_tasks"], "ecs_min_tasks", problems)
    maximum = _int(s["ecs_max_tasks"], "ecs_max_tasks", problems)
    desired = _int(s["ecs_desired_count"], "ecs_desired_count", problems)
    if minimum is not None and minimum < 1:
        problems.append("ecs_min_tasks: must be at least 1, got %s" % minimum)
    if None not in (minimum, maximum) and minimum > maximum:
        problems.append("ecs_min_tasks: %s is above ecs_max_tasks (%s)" % (minimum, maximum))
    if None not in (minimum, maximum, desired) and not minimum <= desired <= maximum:
        problems.append(
            "ecs_desired_count: %s is outside [ecs_min_tasks, ecs_max_tasks] = [%s, %s]" % (desired, minimum, maximum)
        )
    for var in ("ecs_cpu_target_percent", "ecs_memory_target_percent"):
        value = _int(s[var], var, problems)
        if value is not None and not 1 <= value <= 100:
            problems.append("%s: a utilisation target must be within 1-100, got %s" % (var, value))
    low = _int(s["ecs_deployment_minimum_healthy_percent"], "ecs_deployment_minimum_healthy_percent", problems)
    high = _int(s["ecs_deployment_maximum_percent"], "ecs_deployment_maximum_percent", problems)
    if low is not None and not 0 <= low <= 100:
        problems.append("ecs_deployment_minimum_healthy_percent: must be within 0-100, got %s" % low)
    if high is not None and high < 100:
        problems.append("ecs_deployment_maximum_percent: must be at least 100, got %s" % high)
    if low == 0 and high == 100:
        problems.append(
            "ecs_deployment_minimum_healthy_percent/ecs_deployment_maximum_percent: 0 and 100 would stop every task "
            "before starting new ones"
        )
    ports = {}
    for service in services:
        v = service["vars"]
        problems += fargate_size_problems(service["cpu"], service["memory"], v["cpu"], v["memory"])
        port = _int(service["port"], v["port"], problems)
        if port is not None and not 1 <= port <= 65535:
            problems.append("%s: %s is not a TCP port" % (v["port"], port))
        if port in ports:
            problems.append("%s: port %s is already used by %s" % (v["port"], port, ports[port]))
        ports[port] = v["port"]
        if str(service.get("user") or "").split(":", maxsplit=1)[0] in ("", "0", "root"):
            problems.append("%s: containers must run as a non-root user, got '%s'" % (v["user"], service.get("user")))
        if not str(service.get("image") or "").strip():
            problems.append("%s: an image URI is required" % v["image"])
        env = service.get("environment") or {}
        if not isinstance(env, dict):
            problems.append("%s: must be a mapping of NAME: value" % v["environment"])
            env = {}
        for name in env:
            if SECRET_LOOKING.search(str(name)):
                problems.append(
                    "%s: %s looks like a credential; inject it from Secrets Manager through %s instead of plain "
                    "environment" % (v["environment"], name, v["secrets"])
                )
        names = set(env)
        for index, secret in enumerate(service.get("secrets") or []):
            label = "%s[%d]" % (v["secrets"], index)
            if not isinstance(secret, dict) or not secret.get("name") or not secret.get("secret"):
                problems.append("%s: needs `name` (the variable) and `secret` (the Secrets Manager name)" % label)
                continue
            if secret["name"] in names:
                problems.append("%s: %s is set twice (environment or secrets)" % (label, secret["name"]))
            names.add(secret["name"])
    return problems


def _value_from(secret, arns):
    arn = arns[secret["secret"]]
    if secret.get("json_key"):
        # <arn>:<json-key>:<version-stage>:<version-id>; empty stage/id mean AWSCURRENT.
        return "%s:%s::" % (arn, secret["json_key"])
    return arn


def ecs_container_definitions(service, secret_arns, region, xray_enabled=False):
    """Fargate container definitions for one service of the role's list.

    Credentials only ever travel as ``secrets`` (valueFrom ARNs); the root filesystem is read-only and every
    writable path is a task volume; the container runs as ``service.user``.
    """
    port = int(service["port"])
    app = {
        "name": service["name"],
        "image": service["image"],
        "essential": True,
        "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}],
        "environment": [{"name": k, "value": str(v)} for k, v in sorted((service.get("environment") or {}).items())],
        "secrets": [
            {"name": s["name"], "valueFrom": _value_from(s, secret_arns)}
            for s in sorted(service.get("secrets") or [], key=lambda s: s["name"])
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": service["log_group"],
                "awslogs-region": region,
                "awslogs-stream-prefix": service["name"],
            },
        },
        "healthCheck": {
            "command": ["CMD-SHELL", service["health_check_command"]],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": int(service["health_check_start_period"]),
        },
        "readonlyRootFilesystem": bool(service["readonly_root_filesystem"]),
        "user": str(service["user"]),
        "mountPoints": [
            {"sourceVolume": volume_name(service["name"], path), "containerPath": path, "readOnly": False}
            for path in service.get("writable_paths") or []
        ],
    }
    if port < 1024 and str(service["user"]).split(":", maxsplit=1)[0] not in ("0", "root"):
        # A non-root process may bind a port below 1024 only when the task lowers this namespaced sysctl.
        app["systemControls"] = [{"namespace": "net.ipv4.ip_unprivileged_port_start", "value": str(port)}]
    containers = [app]
    if xray_enabled:
        containers.append({
            "name": XRAY_DAEMON["name"],
            "image": service["xray_image"],
            "essential": False,
            "cpu": XRAY_DAEMON["cpu"],
            "memoryReservation": XRAY_DAEMON["memory_reservation"],
            "user": "1337",
            # The daemon buffers segments in memory and logs to stdout: it needs no writable path.
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": XRAY_DAEMON["port"], "hostPort": XRAY_DAEMON["port"], "protocol": "udp"}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": service["log_group"],
                    "awslogs-region": region,
                    "awslogs-stream-prefix": XRAY_DAEMON["name"],
                },
            },
        })
        app["environment"].append({"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "127.0.0.1:%d" % XRAY_DAEMON["port"]})
        app["environment"].sort(key=lambda item: item["name"])
    return containers


def volume_name(service, path):
    return "%s-%s" % (service, re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "root")


def ecs_task_volumes(service):
    return [{"name": volume_name(service["name"], path)} for path in service.get("writable_paths") or []]


def ecs_task_definition_ref(result):
    """``family:revision`` from an ecs_taskdefinition result; the bare family when check mode registered nothing."""
    definition = result.get("taskdefinition") or {}
    if definition.get("family") and definition.get("revision"):
        return "%s:%s" % (definition["family"], definition["revision"])
    return result["item"][0]["family"]


class FilterModule:
    def filters(self):
        return {
            "ecs_problems": ecs_problems,
            "fargate_size_problems": fargate_size_problems,
            "ecs_container_definitions": ecs_container_definitions,
            "ecs_task_volumes": ecs_task_volumes,
            "ecs_task_definition_ref": ecs_task_definition_ref,
        }
