# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS filters: which keys to build for the data services, and checks on the inputs of their key policies."""

from __future__ import annotations

import re

# Service -> alias suffix (docs/CONTRACTS.md: alias/<prefix>-rds, -secrets, -logs).
SERVICES = (("rds", "rds"), ("secretsmanager", "secrets"), ("logs", "logs"))
DESCRIPTIONS = {
    "rds": "RDS storage, snapshots and Performance Insights",
    "secretsmanager": "Secrets Manager secrets",
    "logs": "CloudWatch Logs log groups",
}
# CloudWatch Logs: 1-512 characters of [.-_/#A-Za-z0-9]; `*` is the pattern wildcard of the key-policy condition.
LOG_GROUP_PATTERN = re.compile(r"^[.\-_/#A-Za-z0-9*]{1,512}$")
# kms:ViaService takes the service's endpoint prefix (ecr, sns, ...); service principals are <name>.amazonaws.com.
VIA_SERVICE = re.compile(r"^[a-z0-9-]+$")
SERVICE_PRINCIPAL = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com$")


def _sid(prefix, service):
    return prefix + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service.split(".amazonaws.com")[0]))


def kms_key_plan(name_prefix, single_key=False, via_services=None, service_principals=None):
    """The keys to build: alias (without alias/), extra aliases, the services they serve, and who may use them.

    via_services / service_principals: alias suffix (rds, secrets, logs) -> further AWS services that use that key
    for principals of the account (kms:ViaService), or service principals that call KMS themselves.
    """
    via_services = via_services or {}
    service_principals = service_principals or {}
    keys = []
    for service, suffix in SERVICES:
        keys.append(
            {
                "alias": "%s-%s" % (name_prefix, suffix),
                "extra_aliases": [],
                "services": [service],
                "description": "%s: %s" % (name_prefix, DESCRIPTIONS[service]),
                "via_services": ([service] if service != "logs" else []) + list(via_services.get(suffix, [])),
                "service_principals": list(service_principals.get(suffix, [])),
            }
        )
    if single_key:
        keys = [
            {
                "alias": keys[0]["alias"],
                "extra_aliases": [k["alias"] for k in keys[1:]],
                "services": [k["services"][0] for k in keys],
                "description": "%s: %s" % (name_prefix, ", ".join(DESCRIPTIONS[service[0]] for service in SERVICES)),
                "via_services": _unique(sum((k["via_services"] for k in keys), [])),
                "service_principals": _unique(sum((k["service_principals"] for k in keys), [])),
            }
        ]
    for key in keys:
        key["via_statements"] = [{"sid": _sid("UseThrough", s), "service": s} for s in key["via_services"]]
        key["principal_statements"] = [{"sid": _sid("ServicePrincipal", p), "principal": p}
                                       for p in key["service_principals"]]
    return keys


def _unique(items):
    return [item for index, item in enumerate(items) if item not in items[:index]]


def kms_use_problems(uses, var_name, kind):
    """Checks kms_via_services / kms_service_principals: alias suffix -> list of service names."""
    if not isinstance(uses, dict):
        return ["%s: must be a dict of key (rds, secrets, logs) -> list, got %r" % (var_name, uses)]
    problems = []
    suffixes = [service[1] for service in SERVICES]
    pattern = VIA_SERVICE if kind == "via" else SERVICE_PRINCIPAL
    for suffix, services in uses.items():
        label = "%s.%s" % (var_name, suffix)
        if suffix not in suffixes:
            problems.append("%s: unknown key '%s' (one of %s)" % (var_name, suffix, ", ".join(suffixes)))
        if not isinstance(services, list):
            problems.append("%s: must be a list of services, got %r" % (label, services))
            continue
        for index, service in enumerate(services):
            if not isinstance(service, str) or not pattern.match(service):
                problems.append("%s[%d]: '%s' is not %s" % (label, index, service, pattern.pattern))
    return problems


def kms_key_arns_by_service(results):
    """Map service -> key ARN from a looped kms_key register (items come from kms_key_plan)."""
    arns = {}
    for result in results:
        for service in result.get("item", {}).get("services", []):
            if result.get("key_arn"):
                arns[service] = result["key_arn"]
    return arns


def log_group_pattern_problems(patterns, var_name="kms_logs_log_group_patterns"):
    problems = []
    if not patterns:
        problems.append("%s: at least one log-group pattern is required" % var_name)
    for index, pattern in enumerate(patterns or []):
        if not isinstance(pattern, str) or not LOG_GROUP_PATTERN.match(pattern):
            problems.append(
                "%s[%d]: '%s' is not a log-group name pattern (1-512 of . - _ / # letters digits *)"
                % (var_name, index, pattern)
            )
        elif pattern.strip("*/") == "":
            problems.append("%s[%d]: '%s' would cover every log group of the account" % (var_name, index, pattern))
    return problems


class FilterModule:
    def filters(self):
        return {
            "kms_key_plan": kms_key_plan,
            "kms_key_arns_by_service": kms_key_arns_by_service,
            "log_group_pattern_problems": log_group_pattern_problems,
            "kms_use_problems": kms_use_problems,
        }
