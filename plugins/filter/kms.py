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


def kms_key_plan(name_prefix, single_key=False):
    """The keys to build: alias (without alias/), extra aliases, services, description."""
    if single_key:
        aliases = ["%s-%s" % (name_prefix, suffix) for _, suffix in SERVICES]
        return [
            {
                "alias": aliases[0],
                "extra_aliases": aliases[1:],
                "services": [service for service, _ in SERVICES],
                "description": "%s: %s" % (name_prefix, ", ".join(DESCRIPTIONS[s] for s, _ in SERVICES)),
            }
        ]
    return [
        {
            "alias": "%s-%s" % (name_prefix, suffix),
            "extra_aliases": [],
            "services": [service],
            "description": "%s: %s" % (name_prefix, DESCRIPTIONS[service]),
        }
        for service, suffix in SERVICES
    ]


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
        }
