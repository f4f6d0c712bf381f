# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM input checks: resource names that policies turn into ARNs, and statements supplied by the inventory.

Each message names the variable (and index) at fault, so a bad inventory stops before any AWS call.
"""

from __future__ import annotations

import re

NAME_RULES = {
    # ECR: lowercase path segments of [a-z0-9] separated by . _ - (AWS pattern, 2-256 characters).
    "ecr_repository": (
        re.compile(r"^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"),
        "lowercase segments of letters and digits joined by . _ - and separated by /",
    ),
    # CloudWatch Logs: 1-512 of [.-_/#A-Za-z0-9].
    "log_group": (re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$"), "1-512 of . - _ / # letters digits"),
    # Secrets Manager: 1-512 of [A-Za-z0-9/_+=.@-]; no wildcard, or the policy would cover other secrets.
    "secret": (re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$"), "1-512 of letters digits / _ + = . @ - (no wildcards)"),
}
STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
SID = re.compile(r"^[A-Za-z0-9]+$")
RESERVED_SIDS = {"XRayTracesAreAccountWide"}


def iam_name_problems(names, var_name, kind):
    pattern, rule = NAME_RULES[kind]
    problems = []
    if not isinstance(names, (list, tuple)):
        return ["%s: must be a list of names, got %r" % (var_name, names)]
    for index, name in enumerate(names):
        if not isinstance(name, str) or not pattern.match(name):
            problems.append("%s[%d]: '%s' is not a valid name (%s)" % (var_name, index, name, rule))
    if len(set(map(str, names))) != len(names):
        problems.append("%s: names must not repeat" % var_name)
    return problems


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _statement_problems(statement, label):
    if not isinstance(statement, dict):
        return ["%s: must be a dict (Sid, Effect, Action, Resource, Condition), got %r" % (label, statement)]
    problems = []
    unknown = sorted(set(statement) - STATEMENT_KEYS)
    if unknown:
        problems.append("%s: unknown key(s) %s (Principal belongs in resource policies)" % (label, ", ".join(unknown)))
    if statement.get("Effect") not in ("Allow", "Deny"):
        problems.append("%s.Effect: must be Allow or Deny, got %r" % (label, statement.get("Effect")))
    if "Sid" in statement and not (isinstance(statement["Sid"], str) and SID.match(statement["Sid"])):
        problems.append("%s.Sid: letters and digits only, got %r" % (label, statement["Sid"]))
    if statement.get("Sid") in RESERVED_SIDS:
        problems.append("%s.Sid: %s is the role's own X-Ray statement" % (label, statement["Sid"]))

    action_key = "Action" if "Action" in statement else "NotAction"
    if ("Action" in statement) == ("NotAction" in statement):
        problems.append("%s: exactly one of Action or NotAction is required" % label)
    else:
        actions = _as_list(statement[action_key])
        if not actions:
            problems.append("%s.%s: must name at least one action" % (label, action_key))
        for action in actions:
            if not isinstance(action, str) or not ACTION.match(action):
                problems.append("%s.%s: '%s' is not service:Action" % (label, action_key, action))
            elif action.split(":", 1)[1] == "*" and statement.get("Effect") == "Allow":
                problems.append("%s.%s: '%s' allows a whole service; name the actions" % (label, action_key, action))
        if action_key == "NotAction" and statement.get("Effect") == "Allow":
            problems.append("%s: Allow with NotAction grants everything else; name the actions" % label)

    if ("Resource" in statement) == ("NotResource" in statement):
        problems.append("%s: exactly one of Resource or NotResource is required" % label)
    else:
        resource_key = "Resource" if "Resource" in statement else "NotResource"
        resources = _as_list(statement[resource_key])
        if not resources or not all(isinstance(r, str) and (r == "*" or r.startswith("arn:")) for r in resources):
            problems.append("%s.%s: must be ARNs (or \"*\" where AWS requires it), got %r" % (label, resource_key, resources))
    if "Condition" in statement and not isinstance(statement["Condition"], dict):
        problems.append("%s.Condition: must be a dict of operator -> {key: value}" % label)
    return problems


def iam_statement_problems(statements, var_name):
    if not isinstance(statements, (list, tuple)):
        return ["%s: must be a list of IAM statements, got %r" % (var_name, statements)]
    problems = []
    for index, statement in enumerate(statements):
        problems += _statement_problems(statement, "%s[%d]" % (var_name, index))
    sids = [s.get("Sid") for s in statements if isinstance(s, dict) and s.get("Sid")]
    if len(set(sids)) != len(sids):
        problems.append("%s: Sids must be unique" % var_name)
    return problems


class FilterModule:
    def filters(self):
        return {"iam_name_problems": iam_name_problems, "iam_statement_problems": iam_statement_problems}
