# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where playbooks/export.yml writes each rendered definition: the plan's layout under infrastructure/aws."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _short(name, prefix):
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def export_ecs_files(item, suffix):
    """``{key: service, value: {task_definition, service, auto_scaling}}`` (dict2items of ecs_definitions) ->
    the three files of that service: ecs/task-definitions|services|autoscaling/<service>-<suffix>.json."""
    name, definition = item["key"], item["value"]
    folders = (("task-definitions", "task_definition"), ("services", "service"), ("autoscaling", "auto_scaling"))
    missing = [part for _folder, part in folders if part not in definition]
    if missing:
        raise AnsibleFilterError("export_ecs_files: %s lacks %s" % (name, ", ".join(missing)))
    return [{"path": "ecs/%s/%s-%s.json" % (folder, name, suffix), "document": definition[part]}
            for folder, part in folders]


def export_iam_file(definition, prefix):
    """iam/<role without the environment prefix>-role.json, as the plan names them (ecs-task-execution-role.json)."""
    return {"path": "iam/%s-role.json" % _short(definition["RoleName"], prefix), "document": definition}


def export_security_group_file(definition, prefix, suffix):
    """security-groups/<group without the environment prefix>-<suffix>.json, as the plan names them (alb-prod.json)."""
    return {"path": "security-groups/%s-%s.json" % (_short(definition["GroupName"], prefix), suffix),
            "document": definition}


class FilterModule:
    def filters(self):
        return {
            "export_ecs_files": export_ecs_files,
            "export_iam_file": export_iam_file,
            "export_security_group_file": export_security_group_file,
        }
