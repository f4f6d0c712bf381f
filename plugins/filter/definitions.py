# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The resource definitions the ecs, iam and security_groups roles apply, in the shape of the AWS APIs.

The roles render their definitions with these filters and give the result to their modules; playbooks/export.yml
renders the same definitions (with ``${kind:name}`` placeholders where an id only exists once AWS made it) and
writes them as JSON for review. One rendering serves both, so the reviewed file is what the role applies.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.filter.compute import (
    ecs_container_definitions,
    ecs_task_volumes,
)


def placeholder(kind, name=None):
    """``${kind}`` or ``${kind:name}``: an id the export cannot know (the account, an ARN with a random suffix)."""
    return "${%s}" % kind if name is None else "${%s:%s}" % (kind, name)


def _aws_tags(tags, key="Key", value="Value"):
    return [{key: str(k), value: str(v)} for k, v in sorted((tags or {}).items())]


def _ref(refs, placeholders, kind, name, default=""):
    """refs[kind][name]; a placeholder in export mode; ``default`` when the role has not found it (check mode)."""
    found = (refs.get(kind) or {}).get(name)
    if found:
        return found
    return placeholder(kind[:-1] if kind.endswith("s") else kind, name) if placeholders else default


def ecs_definitions(services, settings, refs=None, placeholders=False):
    """{service: {task_definition, service, auto_scaling}} in the shape of RegisterTaskDefinition, CreateService,
    RegisterScalableTarget and PutScalingPolicy.

    ``services`` is the ecs role's ``ecs__services``; ``settings`` its ``ecs__definition_settings``; ``refs`` what
    its lookups found: ``iam_role_arns``, ``secret_arns`` (by name under the secrets path ``secret_path``), ``security_group_ids``,
    ``subnet_ids`` (by tier), ``target_group_arns`` and ``service_discovery_arns`` (by service), each a mapping.
    With ``placeholders`` an id not in ``refs`` becomes ``${kind:name}`` (export); without, it is left empty.
    ``settings`` may carry ``rds_master``, {secret name: RDS instance} of the secrets RDS manages.
    """
    refs = refs or {}
    required = ("cluster", "region", "xray_enabled", "desired_count", "min_tasks", "max_tasks", "cpu_target_percent",
                "memory_target_percent", "scale_in_cooldown", "scale_out_cooldown", "health_check_grace_period",
                "minimum_healthy_percent", "maximum_percent", "execution_role", "task_role", "security_group",
                "secret_path", "name_prefix", "tags")
    missing = [key for key in required if key not in settings]
    if missing:
        raise AnsibleFilterError("ecs_definitions: settings lack %s" % ", ".join(missing))
    s = settings
    secret_names = {secret["secret"] for service in services for secret in service.get("secrets") or []}
    found_secrets = refs.get("secret_arns") or {}
    # The master password is the secret RDS keeps for the instance (ManageMasterUserPassword): its name is RDS's
    # own (rds!db-...), so the export names the instance instead (settings rds_master: {secret: instance}).
    rds_master = s.get("rds_master") or {}

    def _secret_placeholder(name):
        if name in rds_master:
            return placeholder("rds_master_secret_arn", rds_master[name])
        return placeholder("secret_arn", s["secret_path"] + name)

    secret_arns = {name: found_secrets.get(name) or (_secret_placeholder(name) if placeholders else "")
                   for name in secret_names}
    subnets = (refs.get("subnet_ids") or {}).get("private") or ([placeholder("subnet_ids", "private")] if placeholders else [])
    security_group = _ref(refs, placeholders, "security_group_ids", s["security_group"])
    definitions = {}
    for service in services:
        name, port = service["name"], int(service["port"])
        task_definition = {
            "family": service["family"],
            "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc",
            "cpu": str(service["cpu"]),
            "memory": str(service["memory"]),
            "executionRoleArn": _ref(refs, placeholders, "iam_role_arns", s["execution_role"]),
            "taskRoleArn": _ref(refs, placeholders, "iam_role_arns", s["task_role"]),
            "containerDefinitions": ecs_container_definitions(service, secret_arns, s["region"], s["xray_enabled"]),
            "volumes": ecs_task_volumes(service),
        }
        registry = _ref(refs, placeholders, "service_discovery_arns", name)
        ecs_service = {
            "cluster": s["cluster"],
            "serviceName": name,
            "taskDefinition": service["family"],
            "launchType": "FARGATE",
            "desiredCount": int(s["desired_count"]),
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": list(subnets), "securityGroups": [security_group], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{"targetGroupArn": _ref(refs, placeholders, "target_group_arns", service["target_group"]),
                               "containerName": name, "containerPort": port}],
            "serviceRegistries": [{"registryArn": registry}] if registry else [],
            "healthCheckGracePeriodSeconds": int(s["health_check_grace_period"]),
            "deploymentConfiguration": {
                "minimumHealthyPercent": int(s["minimum_healthy_percent"]),
                "maximumPercent": int(s["maximum_percent"]),
                # Rolling deployments stop and roll back on their own when new tasks keep failing.
                "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            },
            "propagateTags": "SERVICE",
            "enableExecuteCommand": False,
            "tags": _aws_tags(dict(s["tags"], Name=name), "key", "value"),
        }
        resource_id = "service/%s/%s" % (s["cluster"], name)
        target = {"ServiceNamespace": "ecs", "ResourceId": resource_id, "ScalableDimension": "ecs:service:DesiredCount"}
        policies = []
        for metric, percent in (("cpu", s["cpu_target_percent"]), ("memory", s["memory_target_percent"])):
            policies.append(dict(target, **{
                "PolicyName": "%s-%s-%s" % (s["name_prefix"], name, metric),
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": float(percent),
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverage%sUtilization" % ("CPU" if metric == "cpu" else "Memory")},
                    "ScaleInCooldown": int(s["scale_in_cooldown"]),
                    "ScaleOutCooldown": int(s["scale_out_cooldown"]),
                },
            }))
        definitions[name] = {
            "task_definition": task_definition,
            "service": ecs_service,
            "auto_scaling": {
                "scalableTarget": dict(target, MinCapacity=int(s["min_tasks"]), MaxCapacity=int(s["max_tasks"])),
                "scalingPolicies": policies,
            },
        }
    return definitions


def target_tracking_policies(policies):
    """PutScalingPolicy inputs (ecs_definitions' ``scalingPolicies``) as the ``policies`` option of
    lifeworld.production.application_autoscaling_target_tracking."""
    options = []
    for policy in policies:
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        options.append({
            "name": policy["PolicyName"],
            "predefined_metric": config["PredefinedMetricSpecification"]["PredefinedMetricType"],
            "target_value": config["TargetValue"],
            "scale_in_cooldown": config["ScaleInCooldown"],
            "scale_out_cooldown": config["ScaleOutCooldown"],
        })
    return options


def _port_range(port):
    low, _sep, high = str(port).partition("-")
    return int(low), int(high or low)


def security_group_permissions(rules):
    """IpPermissions (as DescribeSecurityGroups shows them) of amazon.aws.ec2_security_group ``rules``: one entry per
    protocol and port range, its sources sorted, so the export reads the same on every run."""
    merged = {}
    for rule in rules or []:
        proto = str(rule.get("proto", "tcp"))
        ports = rule.get("ports") or ["%s-%s" % (rule.get("from_port"), rule.get("to_port"))]
        cidrs = rule.get("cidr_ip") or []
        cidrs = [cidrs] if isinstance(cidrs, str) else list(cidrs)
        cidrs += rule.get("cidr_ipv6") if isinstance(rule.get("cidr_ipv6"), list) else [rule["cidr_ipv6"]] if rule.get("cidr_ipv6") else []
        groups = rule.get("group_id") or []
        groups = [groups] if isinstance(groups, str) else list(groups)
        prefix_lists = rule.get("ip_prefix") or []
        prefix_lists = [prefix_lists] if isinstance(prefix_lists, str) else list(prefix_lists)
        for port in ports:
            low, high = _port_range(port)
            entry = merged.setdefault((proto, low, high), {"IpRanges": [], "Ipv6Ranges": [], "UserIdGroupPairs": []})
            for cidr in cidrs:
                kind, key = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
                entry[kind].append({key: cidr, "Description": rule.get("rule_desc", "")})
            for group in groups:
                entry["UserIdGroupPairs"].append({"GroupId": group, "Description": rule.get("rule_desc", "")})
            for prefix_list in prefix_lists:
                entry.setdefault("PrefixListIds", []).append({"PrefixListId": prefix_list,
                                                              "Description": rule.get("rule_desc", "")})
    permissions = []
    for (proto, low, high), entry in sorted(merged.items()):
        permission = {"IpProtocol": proto, "FromPort": low, "ToPort": high}
        for kind, key in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6"), ("UserIdGroupPairs", "GroupId")):
            permission[kind] = sorted(entry[kind], key=lambda item, key=key: (item[key], item["Description"]))
        # Only where a rule has one (the Route 53 health checkers' list), so other exports read as before.
        if entry.get("PrefixListIds"):
            permission["PrefixListIds"] = sorted(entry["PrefixListIds"], key=lambda item: item["PrefixListId"])
        permissions.append(permission)
    return permissions


def security_group_definition(group):
    """One group of the security_groups role's rendered list (name, description, vpc_id, rules, rules_egress, tags)
    as DescribeSecurityGroups shows it."""
    return {
        "GroupName": group["name"],
        "Description": group["description"],
        "VpcId": group["vpc_id"],
        "IpPermissions": security_group_permissions(group.get("rules")),
        "IpPermissionsEgress": security_group_permissions(group.get("rules_egress")),
        "Tags": _aws_tags(group.get("tags")),
    }


def iam_role_definitions(roles, policies, tags):
    """The iam role's roles as CreateRole/PutRolePolicy show them: trust policy, AWS-managed policies, the inline
    policies it keeps (``state: present``) and tags. ``roles`` and ``policies`` are its ``iam__roles`` and
    ``iam__policies`` with their documents rendered."""
    definitions = []
    for role in roles:
        inline = {policy["name"]: policy["policy"] for policy in policies
                  if policy["role"] == role["name"] and policy.get("state", "present") == "present"}
        definitions.append({
            "RoleName": role["name"],
            "Description": role["description"],
            "AssumeRolePolicyDocument": role["trust_policy"],
            "ManagedPolicyArns": list(role.get("managed_policies") or []),
            "InlinePolicies": dict(sorted(inline.items())),
            "Tags": _aws_tags(dict(tags, Name=role["name"])),
        })
    return definitions


def definition_placeholder(name, kind):
    """``name | definition_placeholder(kind)`` -> ``${kind:name}``."""
    return placeholder(kind, name)


class FilterModule:
    def filters(self):
        return {
            "ecs_definitions": ecs_definitions,
            "target_tracking_policies": target_tracking_policies,
            "security_group_permissions": security_group_permissions,
            "security_group_definition": security_group_definition,
            "iam_role_definitions": iam_role_definitions,
            "definition_placeholder": definition_placeholder,
        }
