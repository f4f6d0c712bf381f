# -*- coding: utf-8 -*-
"""The hardening rules on plain describe-call answers: each rule passes the environment the roles build and names
the resource, the check and what was seen when something is weaker."""

import copy
import json

import pytest

from ansible_collections.lifeworld.production.plugins.module_utils import hardening as h
from ansible_collections.lifeworld.production.plugins.module_utils import hardening_network as hn

NAMES = {"alb": "p-alb", "ecs": "p-ecs", "rds": "p-rds"}


def _tcp(port, cidrs=(), groups=(), ipv6=()):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": c} for c in cidrs], "Ipv6Ranges": [{"CidrIpv6": c} for c in ipv6],
            "UserIdGroupPairs": [{"GroupId": g} for g in groups], "PrefixListIds": []}


def _group(gid, name, *rules):
    return {"GroupId": gid, "GroupName": name, "Tags": [{"Key": "Name", "Value": name}], "IpPermissions": list(rules)}


def _groups():
    """What roles/security_groups builds for an IP-restricted ALB: RDS admits the ECS group only."""
    return [
        _group("sg-alb", "p-alb", _tcp(443, ["203.0.113.0/24"]), _tcp(80, ["203.0.113.0/24"])),
        _group("sg-ecs", "p-ecs", _tcp(3001, groups=["sg-alb"]), _tcp(80, groups=["sg-alb"])),
        _group("sg-rds", "p-rds", _tcp(5432, groups=["sg-ecs"])),
        _group("sg-default", "default", {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-default"}]}),
    ]


def _sg_check(groups, **kwargs):
    args = dict(names=NAMES, alb_cidrs=["203.0.113.0/24"])
    args.update(kwargs)
    return hn.check_security_groups(groups, **args)


def _checks(entries):
    return [(e["resource"], e["check"]) for e in entries]


def test_the_groups_the_role_builds_pass():
    assert _sg_check(_groups()) == []


def test_world_open_rds_is_named_with_port_and_remediation():
    groups = _groups()
    groups[2]["IpPermissions"].append(_tcp(5432, ["0.0.0.0/0"]))
    found = _sg_check(groups)
    assert ("p-rds (sg-rds)", "no ingress from the internet") in _checks(found)
    world = next(f for f in found if f["check"] == "no ingress from the internet")
    assert world["detail"] == "admits 0.0.0.0/0 on tcp/5432" and world["remediation"]
    assert all(f["kind"] == "finding" for f in found)


VPN_NAMES = dict(NAMES, client_vpn="p-client-vpn")


def _vpn_groups():
    """client_vpn mode with the migration window open: the ALB and RDS admit the endpoint's group."""
    groups = _groups()
    groups[0]["IpPermissions"] += [_tcp(443, groups=["sg-vpn"]), _tcp(80, groups=["sg-vpn"])]
    groups[2]["IpPermissions"].append(_tcp(5432, groups=["sg-vpn"]))
    return groups + [_group("sg-vpn", "p-client-vpn")]


def test_client_vpn_group_passes_on_the_alb_and_rds_in_client_vpn_mode_only():
    assert _sg_check(_vpn_groups(), names=VPN_NAMES, client_vpn=True, migration_window=True) == []
    # The same rules without client_vpn mode: the group is an unlisted source on both.
    assert sorted(_checks(_sg_check(_vpn_groups(), names=VPN_NAMES, migration_window=True))) == [
        ("p-alb (sg-alb)", "ALB admits only the allowed clients"), ("p-alb (sg-alb)", "ALB admits only the allowed clients"),
        ("p-rds (sg-rds)", "RDS admits only ECS and the migration host")]


def test_client_vpn_mode_still_fails_on_a_public_cidr_and_on_the_vpn_group_at_ecs():
    groups = _vpn_groups()
    groups[2]["IpPermissions"].append(_tcp(5432, ["0.0.0.0/0"]))
    groups[0]["IpPermissions"].append(_tcp(443, ["198.51.100.0/24"]))
    groups[1]["IpPermissions"].append(_tcp(3001, groups=["sg-vpn"]))
    assert sorted(_checks(_sg_check(groups, names=VPN_NAMES, client_vpn=True, migration_window=True))) == [
        ("p-alb (sg-alb)", "ALB admits only the allowed clients"), ("p-ecs (sg-ecs)", "ECS admits only the ALB"),
        ("p-rds (sg-rds)", "no ingress from the internet")]


def test_a_migration_window_left_open_outside_a_migration_is_a_finding():
    found = _sg_check(_vpn_groups(), names=VPN_NAMES, client_vpn=True)
    assert _checks(found) == [("p-rds (sg-rds)", "RDS admits the Client VPN only during a migration window")]
    assert "cutover" in found[0]["remediation"] and "sg-vpn" in found[0]["detail"]


def test_rds_admits_no_cidr_the_old_migration_host_rule_is_a_finding():
    """The standing public path (security_groups_migration_cidrs) is gone: a CIDR on RDS is a finding."""
    groups = _groups()
    groups[2]["IpPermissions"].append(_tcp(5432, ["198.51.100.20/32"]))
    found = _sg_check(groups)
    assert _checks(found) == [("p-rds (sg-rds)", "RDS admits only ECS and the migration host")]
    assert "Client VPN" in found[0]["remediation"]


def test_client_vpn_mode_without_the_endpoint_group_is_a_finding():
    found = _sg_check(_groups(), names=VPN_NAMES, client_vpn=True)
    assert _checks(found) == [("p-client-vpn", "security group exists")]


def _prefix_list_rule(port, prefix_list):
    return dict(_tcp(port), PrefixListIds=[{"PrefixListId": prefix_list}])


def test_alb_admits_the_health_checkers_prefix_list_on_its_listener_ports_only():
    groups = _groups()
    groups[0]["IpPermissions"].append(_prefix_list_rule(443, "pl-health"))
    assert _sg_check(groups, alb_prefix_lists=["pl-health"]) == []
    assert _checks(_sg_check(groups)) == [("p-alb (sg-alb)", "ALB admits only the allowed clients")]
    groups[0]["IpPermissions"].append(_prefix_list_rule(22, "pl-health"))
    assert _checks(_sg_check(groups, alb_prefix_lists=["pl-health"])) == [
        ("p-alb (sg-alb)", "ALB opens only its listener ports")]
    groups[2]["IpPermissions"].append(_prefix_list_rule(5432, "pl-health"))
    assert ("p-rds (sg-rds)", "RDS admits only ECS and the migration host") in _checks(
        _sg_check(groups, alb_prefix_lists=["pl-health"]))


def test_ipv6_world_counts_as_world():
    groups = _groups()
    groups[1]["IpPermissions"].append(_tcp(3001, ipv6=["::/0"]))
    assert ("p-ecs (sg-ecs)", "no ingress from the internet") in _checks(_sg_check(groups))


def test_public_alb_may_admit_the_world_on_listener_ports_only():
    groups = _groups()
    groups[0]["IpPermissions"] = [_tcp(443, ["0.0.0.0/0"]), _tcp(80, ["0.0.0.0/0", "::/0"])]
    assert _sg_check(groups, alb_cidrs=["0.0.0.0/0"], alb_public=True) == []
    groups[0]["IpPermissions"].append(_tcp(22, ["0.0.0.0/0"]))
    found = _checks(_sg_check(groups, alb_cidrs=["0.0.0.0/0"], alb_public=True))
    assert ("p-alb (sg-alb)", "no ingress from the internet") in found
    assert ("p-alb (sg-alb)", "ALB opens only its listener ports") in found


def test_restricted_alb_must_not_admit_the_world():
    groups = _groups()
    groups[0]["IpPermissions"].append(_tcp(443, ["0.0.0.0/0"]))
    assert ("p-alb (sg-alb)", "no ingress from the internet") in _checks(_sg_check(groups))


def test_alb_admitting_an_unlisted_client_is_named():
    groups = _groups()
    groups[0]["IpPermissions"].append(_tcp(443, ["198.51.100.0/24"]))
    found = _sg_check(groups)
    assert _checks(found) == [("p-alb (sg-alb)", "ALB admits only the allowed clients")]
    assert "198.51.100.0/24" in found[0]["detail"]


def test_ecs_admits_only_the_alb_group():
    groups = _groups()
    groups[1]["IpPermissions"].append(_tcp(3001, groups=["sg-rds"]))
    groups[1]["IpPermissions"].append(_tcp(3001, ["10.0.0.0/8"]))
    found = _sg_check(groups)
    assert _checks(found) == [("p-ecs (sg-ecs)", "ECS admits only the ALB")] * 2


def test_rds_admits_only_ecs_and_the_migration_host_on_postgres():
    groups = _groups()
    groups[2]["IpPermissions"].append(_tcp(5432, ["10.9.9.9/32"]))
    groups[2]["IpPermissions"].append(_tcp(22, groups=["sg-ecs"]))
    found = _checks(_sg_check(groups))
    assert ("p-rds (sg-rds)", "RDS admits only ECS and the migration host") in found
    assert ("p-rds (sg-rds)", "RDS opens only PostgreSQL") in found


def test_all_traffic_rule_is_never_a_listener_port():
    groups = _groups()
    groups[0]["IpPermissions"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}]
    found = _sg_check(groups)
    assert found and found[0]["detail"] == "all traffic is open (listener ports: 80, 443)"


def test_missing_group_is_a_finding():
    groups = _groups()
    assert _checks(_sg_check(groups[:2] + groups[3:])) == [("p-rds", "security group exists")]
    # Without the ALB's group, the ECS group's rule from it no longer comes from "the ALB".
    assert _checks(_sg_check(groups[1:]))[0] == ("p-alb", "security group exists")


def test_any_other_group_in_the_vpc_open_to_the_world_is_named():
    groups = _groups() + [_group("sg-x", "bastion", _tcp(22, ["0.0.0.0/0"]))]
    assert _checks(_sg_check(groups)) == [("bastion (sg-x)", "no ingress from the internet")]


# --- IAM ---------------------------------------------------------------------------------------------------


def _execution_policy():
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "EcrLoginTokenIsAccountWide", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": ["arn:aws:ecr:us-east-1:1:repository/p/backend"]},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:us-east-1:1:key/k",
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}},
    ]}


def _trust(service="ecs-tasks.amazonaws.com"):
    return {"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def _roles():
    xray = {"Statement": [{"Effect": "Allow", "Resource": "*", "Action": list(h.AWS_WILDCARD_RESOURCE_ACTIONS[1:])}]}
    monitoring = {"Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogGroup"],
                                 "Resource": ["arn:aws:logs:*:*:log-group:RDS*"]}]}
    return [
        # IAM answers documents URL-encoded JSON on some endpoints: accepted as well as dicts.
        {"RoleName": "p-exec", "AssumeRolePolicyDocument": json.dumps(_trust()),
         "InlinePolicies": {"execution": json.dumps(_execution_policy())}, "AttachedPolicies": {}},
        {"RoleName": "p-task", "AssumeRolePolicyDocument": _trust(), "InlinePolicies": {"application": xray}},
        {"RoleName": "p-mon", "AssumeRolePolicyDocument": _trust("monitoring.rds.amazonaws.com"),
         "AttachedPolicies": {"arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": monitoring}},
    ]


def test_the_roles_the_iam_role_writes_pass():
    assert h.check_iam_roles(_roles(), ["p-exec", "p-task", "p-mon"]) == []


def test_url_encoded_documents_are_read():
    assert h.policy_document("%7B%22Statement%22%3A%20%5B%5D%7D") == {"Statement": []}


@pytest.mark.parametrize("statement, check", [
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "IAM names its actions"),
    ({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"}, "IAM names its actions"),
    ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}, "IAM names its actions"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, "IAM names its resources"),
    ({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b"}, "IAM names its resources"),
    # An allowed action beside one that is not still fails, naming the one that is not.
    ({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "sts:AssumeRole"], "Resource": "*"},
     "IAM names its resources"),
])
def test_broad_statements_are_named(statement, check):
    roles = _roles()
    roles[1]["InlinePolicies"]["extra"] = {"Statement": [statement]}
    found = h.check_iam_roles(roles, ["p-exec", "p-task", "p-mon"])
    assert ("p-task:extra[0]", check) in _checks(found)
    if check == "IAM names its resources" and "Resource" in statement:
        assert "sts:AssumeRole" in found[-1]["detail"] or "s3:GetObject" in found[-1]["detail"]
        assert "ecr:GetAuthorizationToken" not in found[-1]["detail"].split(" (")[0]


def test_deny_statements_are_not_judged():
    roles = _roles()
    roles[1]["InlinePolicies"]["deny"] = {"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}
    assert h.check_iam_roles(roles, ["p-task"]) == []


def test_wildcard_in_an_attached_policy_is_named_by_policy_name():
    roles = _roles()
    roles[2]["AttachedPolicies"]["arn:aws:iam::aws:policy/AdministratorAccess"] = {
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    found = _checks(h.check_iam_roles(roles, []))
    assert ("p-mon:AdministratorAccess[0]", "IAM names its actions") in found
    assert ("p-mon:AdministratorAccess[0]", "IAM names its resources") in found


def test_trust_of_any_principal_and_missing_role():
    roles = _roles()
    roles[0]["AssumeRolePolicyDocument"] = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                           "Action": "sts:AssumeRole"}]}
    found = _checks(h.check_iam_roles(roles, ["p-exec", "p-gone"]))
    assert found == [("p-gone", "IAM role exists"), ("p-exec (trust)", "trust names its principal")]


# --- RDS ---------------------------------------------------------------------------------------------------


def _db(**overrides):
    db = {"DBInstanceIdentifier": "p-db", "StorageEncrypted": True, "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k",
          "PubliclyAccessible": False, "MultiAZ": True, "DeletionProtection": True, "BackupRetentionPeriod": 7,
          "EnabledCloudwatchLogsExports": ["postgresql", "upgrade"],
          "DBParameterGroups": [{"DBParameterGroupName": "p-pg16"}]}
    db.update(overrides)
    return db


PARAMETERS = {"p-pg16": [{"ParameterName": "rds.force_ssl", "ParameterValue": "1"}]}


def _rds(instances, parameters=None, **kwargs):
    args = dict(multi_az=True, min_backup_retention_days=7, log_exports=["postgresql", "upgrade"])
    args.update(kwargs)
    return h.check_rds(instances, "p-db", PARAMETERS if parameters is None else parameters, **args)


def test_the_instance_the_rds_role_builds_passes():
    assert _rds([_db()]) == []


@pytest.mark.parametrize("overrides, check", [
    ({"StorageEncrypted": False}, "RDS encrypted at rest"),
    ({"KmsKeyId": None}, "RDS encrypted at rest"),
    ({"PubliclyAccessible": True}, "RDS not publicly accessible"),
    ({"MultiAZ": False}, "RDS Multi-AZ"),
    ({"DeletionProtection": False}, "RDS deletion protection"),
    ({"BackupRetentionPeriod": 1}, "RDS backups kept"),
    ({"EnabledCloudwatchLogsExports": ["postgresql"]}, "RDS exports its logs"),
    ({"DBParameterGroups": []}, "RDS forces SSL"),
])
def test_each_weakness_of_the_primary_is_named(overrides, check):
    assert _checks(_rds([_db(**overrides)])) == [("p-db", check)]


def test_ssl_not_forced_is_a_finding_and_an_unreported_value_is_not_checkable():
    found = _rds([_db()], {"p-pg16": [{"ParameterName": "rds.force_ssl", "ParameterValue": "0"}]})
    assert [(f["kind"], f["check"]) for f in found] == [("finding", "RDS forces SSL")]
    found = _rds([_db()], {"p-pg16": [{"ParameterName": "rds.force_ssl", "Source": "engine-default"}]})
    assert [(f["kind"], f["check"]) for f in found] == [("not_checkable", "RDS forces SSL")]


def test_single_az_is_fine_when_the_inventory_says_so():
    assert _rds([_db(MultiAZ=False)], multi_az=False) == []


def test_production_is_multi_az_whatever_the_inventory_says():
    [found] = _rds([_db(MultiAZ=False)], multi_az=False, production=True)
    assert (found["check"], found["detail"]) == ("RDS Multi-AZ", "MultiAZ=False, expected True (the plan, for production)")


@pytest.mark.parametrize("kept, asked, short", [(7, 1, False), (6, 1, True), (6, None, True), (7, 14, True), (14, 14, False)])
def test_backups_are_kept_the_plans_seven_days_or_more_if_the_inventory_asks(kept, asked, short):
    found = _rds([_db(BackupRetentionPeriod=kept)], min_backup_retention_days=asked)
    assert _checks(found) == ([("p-db", "RDS backups kept")] if short else [])


def test_replica_is_checked_for_encryption_but_not_for_primary_only_rules():
    replica = _db(DBInstanceIdentifier="p-db-replica", MultiAZ=False, DeletionProtection=False,
                  BackupRetentionPeriod=0, PubliclyAccessible=True)
    assert _checks(_rds([_db(), replica])) == [("p-db-replica", "RDS not publicly accessible")]


def test_missing_primary_is_a_finding():
    assert _checks(_rds([])) == [("p-db", "database exists")]


# --- load balancer -----------------------------------------------------------------------------------------


LB = {"LoadBalancerName": "p-alb", "LoadBalancerArn": "arn:lb"}
TLS13 = {"ELBSecurityPolicy-TLS13-1-2-2021-06": {"SslProtocols": ["TLSv1.2", "TLSv1.3"]}}
ATTRIBUTES = {"routing.http.drop_invalid_header_fields.enabled": "true", "deletion_protection.enabled": "true"}


def _listeners():
    return [
        {"ListenerArn": "arn:http", "Protocol": "HTTP", "Port": 80, "DefaultActions": [
            {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]},
        {"ListenerArn": "arn:https", "Protocol": "HTTPS", "Port": 443, "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
         "DefaultActions": [{"Type": "forward", "TargetGroupArn": "arn:tg"}]},
    ]


def _lb(listeners=None, rules=None, attributes=None, policies=None, **kwargs):
    return h.check_load_balancer(LB, "p-alb", _listeners() if listeners is None else listeners, rules or {},
                                 ATTRIBUTES if attributes is None else attributes,
                                 TLS13 if policies is None else policies, **kwargs)


def test_the_alb_the_role_builds_passes():
    assert _lb(rules={"arn:http": [{"IsDefault": True, "Actions": [{"Type": "redirect",
                                                                    "RedirectConfig": {"Protocol": "HTTPS"}}]}]}) == []


def test_http_forwarding_is_named():
    listeners = _listeners()
    listeners[0]["DefaultActions"] = [{"Type": "forward", "TargetGroupArn": "arn:tg"}]
    assert _checks(_lb(listeners)) == [("p-alb listener HTTP:80", "HTTP only redirects to HTTPS")]


def test_http_rule_that_forwards_is_named():
    rules = {"arn:http": [{"Priority": "5", "IsDefault": False, "Actions": [{"Type": "forward"}]}]}
    found = _lb(rules=rules)
    assert _checks(found) == [("p-alb listener HTTP:80", "HTTP only redirects to HTTPS")]
    assert "rule 5" in found[0]["detail"]


def test_old_tls_policy_is_named_and_an_unknown_one_is_not_checkable():
    listeners = _listeners()
    listeners[1]["SslPolicy"] = "ELBSecurityPolicy-2016-08"
    policies = dict(TLS13, **{"ELBSecurityPolicy-2016-08": {"SslProtocols": ["TLSv1", "TLSv1.1", "TLSv1.2"]}})
    found = _lb(listeners, policies=policies)
    assert _checks(found) == [("p-alb listener HTTPS:443", "TLS 1.2 or newer")]
    assert "TLSv1, TLSv1.1" in found[0]["detail"]
    assert [e["kind"] for e in _lb(listeners)] == ["not_checkable"]


def test_no_https_listener_and_missing_attributes():
    found = _lb(_listeners()[:1], attributes={"deletion_protection.enabled": "false"})
    assert _checks(found) == [("p-alb", "HTTPS listener"), ("p-alb", "routing.http.drop_invalid_header_fields.enabled"),
                              ("p-alb", "deletion_protection.enabled")]
    assert [e["kind"] for e in found] == ["finding", "not_checkable", "finding"]


def test_deletion_protection_off_is_fine_when_the_inventory_says_so():
    assert _lb(attributes={"routing.http.drop_invalid_header_fields.enabled": "true",
                           "deletion_protection.enabled": "false"}, deletion_protection=False) == []


def test_missing_load_balancer():
    assert _checks(h.check_load_balancer(None, "p-alb", [], {}, {}, {})) == [("p-alb", "load balancer exists")]


# --- ECS ---------------------------------------------------------------------------------------------------


def _task_definition():
    return {"family": "p-backend", "revision": 3, "containerDefinitions": [
        {"name": "backend", "user": "1000", "readonlyRootFilesystem": True,
         "environment": [{"name": "NODE_ENV", "value": "production"}, {"name": "DB_HOST", "value": "db.internal"}],
         "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:p/db-master-abcdef"}],
         "logConfiguration": {"logDriver": "awslogs", "options": {}}},
    ]}


SERVICE = {"serviceName": "backend", "networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "DISABLED"}}}


def test_the_task_definition_the_ecs_role_registers_passes():
    assert h.check_ecs([_task_definition()], ["p-backend"], [SERVICE]) == []


@pytest.mark.parametrize("variable", [
    {"name": "DATABASE_PASSWORD", "value": "x"},
    {"name": "jwt_secret", "value": "x"},
    {"name": "MAPS_API_KEY", "value": "x"},
    {"name": "UPSTREAM", "value": "AKIAABCDEFGHIJKLMNOP"},
    {"name": "DATABASE_URL", "value": "postgres://admin:hunter2@db:5432/app"},
])
def test_credential_in_plain_environment_is_named(variable):
    definition = _task_definition()
    definition["containerDefinitions"][0]["environment"].append(variable)
    found = h.check_ecs([definition], ["p-backend"], [SERVICE])
    assert _checks(found) == [("p-backend:3/backend", "no secret in plain environment")]
    assert variable["name"] in found[0]["detail"] and variable["value"] not in found[0]["detail"]


@pytest.mark.parametrize("change, check", [
    ({"privileged": True}, "container not privileged"),
    ({"readonlyRootFilesystem": False}, "read-only root filesystem"),
    ({"user": None}, "container runs as non-root"),
    ({"user": "0:0"}, "container runs as non-root"),
    ({"logConfiguration": {"logDriver": "json-file"}}, "logs to CloudWatch"),
])
def test_container_weaknesses_are_named(change, check):
    definition = _task_definition()
    definition["containerDefinitions"][0].update(change)
    assert _checks(h.check_ecs([definition], [], [])) == [("p-backend:3/backend", check)]


def test_public_ip_on_tasks_and_missing_family():
    service = copy.deepcopy(SERVICE)
    service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"
    assert _checks(h.check_ecs([_task_definition()], ["p-backend", "p-frontend"], [service])) == [
        ("p-frontend", "task definition exists"), ("backend", "no public IP on ECS tasks")]


# --- logs, keys, secrets -----------------------------------------------------------------------------------


def test_log_groups():
    good = {"logGroupName": "/ecs/p/backend", "kmsKeyId": "arn:key", "retentionInDays": 30}
    assert h.check_log_groups([good], ["/ecs/p/backend"]) == []
    found = h.check_log_groups([dict(good, kmsKeyId=None), {"logGroupName": "/ecs/p/x", "kmsKeyId": "k"}],
                               ["/ecs/p/backend", "/ecs/p/frontend"])
    assert _checks(found) == [("/ecs/p/frontend", "log group exists"), ("/ecs/p/backend", "log group KMS-encrypted"),
                              ("/ecs/p/x", "log group retention set")]


def test_kms_keys():
    good = {"KeyMetadata": {"KeyManager": "CUSTOMER", "KeyState": "Enabled"}, "KeyRotationEnabled": True}
    assert h.check_kms_keys({"alias/p-rds": good}) == []
    found = h.check_kms_keys({"alias/p-rds": None,
                              "alias/p-logs": {"KeyMetadata": {"KeyManager": "AWS", "KeyState": "Disabled"},
                                               "KeyRotationEnabled": False},
                              "alias/p-secrets": dict(good, KeyRotationEnabled=None)})
    assert [(e["kind"], e["resource"], e["check"]) for e in found] == [
        ("finding", "alias/p-logs", "customer-managed KMS key"), ("finding", "alias/p-logs", "KMS key enabled"),
        ("finding", "alias/p-logs", "KMS key rotation"), ("finding", "alias/p-rds", "KMS key exists"),
        ("not_checkable", "alias/p-secrets", "KMS key rotation")]


def test_secrets():
    managers = {"arn:ours": "CUSTOMER", "arn:aws-managed": "AWS"}
    secrets = {"p/jwt": {"KmsKeyId": "arn:ours"}, "p/db": {"KmsKeyId": "arn:ours", "RotationEnabled": True}}
    assert h.check_secrets(secrets, managers, ["p/db"]) == []
    found = h.check_secrets({"p/jwt": {}, "p/api": {"KmsKeyId": "arn:aws-managed"}, "p/db": {"KmsKeyId": "arn:ours"},
                             "p/gone": None, "p/other": {"KmsKeyId": "arn:unknown"}}, managers, ["p/db"])
    assert [(e["kind"], e["resource"], e["check"]) for e in found] == [
        ("finding", "p/api", "secret encrypted with our KMS key"), ("finding", "p/db", "secret rotation"),
        ("finding", "p/gone", "secret exists"), ("finding", "p/jwt", "secret encrypted with our KMS key"),
        ("not_checkable", "p/other", "secret encrypted with our KMS key")]


def test_production_rotates_the_database_master_secret_whatever_the_inventory_expects():
    managers = {"arn:ours": "CUSTOMER"}
    secrets = {"p/x/jwt-secret": {"KmsKeyId": "arn:ours"}, "p/x/db-master": {"KmsKeyId": "arn:ours"}}
    jwt_exception = {"p/x/jwt-secret": "one signing key in the application"}
    assert h.check_secrets(secrets, managers, []) == []
    found = h.check_secrets(secrets, managers, [], production=True, rotation_exceptions=jwt_exception)
    assert [(e["kind"], e["resource"], e["check"]) for e in found] == [
        ("finding", "p/x/db-master", "secret rotation"), ("exception", "p/x/jwt-secret", "secret rotation")]
    rotating = dict(secrets, **{"p/x/db-master": {"KmsKeyId": "arn:ours", "RotationEnabled": True}})
    assert h.check_secrets(rotating, managers, [], production=True, rotation_exceptions=jwt_exception) == [
        h.exception("p/x/jwt-secret", "secret rotation", "one signing key in the application")]


# The secret RDS keeps the master password in (ManageMasterUserPassword), as describe_secret answers for it.
RDS_MASTER = {"Name": "rds!db-0123", "ARN": "arn:aws:secretsmanager:us-east-1:1:secret:rds!db-0123-AbC",
              "KmsKeyId": "arn:ours", "RotationEnabled": True, "OwningService": "rds"}


def test_an_rds_managed_rotating_master_password_satisfies_db_master_and_is_checked_for_our_key():
    managers = {"arn:ours": "CUSTOMER", "arn:aws": "AWS"}
    secrets = {"p/x/db-master": {"KmsKeyId": "arn:ours"}}
    assert h.check_secrets(secrets, managers, [], production=True, rds_master=RDS_MASTER) == []
    stopped = dict(RDS_MASTER, RotationEnabled=False)
    found = h.check_secrets(secrets, managers, [], production=True, rds_master=stopped)
    assert [(e["kind"], e["resource"], e["check"]) for e in found] == [("finding", "p/x/db-master", "secret rotation")]
    assert "rds_manage_master_user_password" in found[0]["remediation"]
    aws_key = dict(RDS_MASTER, KmsKeyId="arn:aws")
    found = h.check_secrets(secrets, managers, [], production=True, rds_master=aws_key)
    assert [(e["resource"], e["check"]) for e in found] == [("rds!db-0123", "secret encrypted with our KMS key")]


def test_the_master_secret_can_never_be_an_exception_and_others_need_one_in_production():
    managers = {"arn:ours": "CUSTOMER"}
    secrets = {"p/x/db-master": {"KmsKeyId": "arn:ours"}, "p/x/api-keys": {"KmsKeyId": "arn:ours"}}
    found = h.check_secrets(secrets, managers, [], production=True,
                            rotation_exceptions={"p/x/db-master": "no", "p/x/api-keys": "keys issued by vendors"})
    assert [(e["kind"], e["resource"]) for e in found] == [("exception", "p/x/api-keys"), ("finding", "p/x/db-master")]
    # Without the documented exception the non-rotating API keys are a finding, not a silent pass.
    found = h.check_secrets(secrets, managers, [], production=True, rds_master=RDS_MASTER)
    assert [(e["kind"], e["resource"], e["detail"]) for e in found] == [("finding", "p/x/api-keys", "rotation is off")]
    # A rotating secret needs no exception: it is simply not reported.
    rotating = dict(secrets, **{"p/x/api-keys": {"KmsKeyId": "arn:ours", "RotationEnabled": True}})
    assert h.check_secrets(rotating, managers, [], production=True, rds_master=RDS_MASTER,
                           rotation_exceptions={"p/x/api-keys": "stale"}) == []


def test_split_and_table():
    entries = [h.finding("r", "c", "d", "fix it"), h.not_checkable("r2", "c2", "why"),
               h.exception("r3", "c3", "documented")]
    findings, unknown = h.split(entries)
    assert findings == [{"resource": "r", "check": "c", "detail": "d", "remediation": "fix it"}]
    assert unknown == [{"resource": "r2", "check": "c2", "reason": "why"}]
    accepted = h.exceptions(entries)
    assert accepted == [{"resource": "r3", "check": "c3", "reason": "documented"}]
    assert h.table(findings, unknown, accepted) == [
        "FINDING  r | c | d | fix: fix it", "NOT CHECKABLE HERE  r2 | c2 | why", "DOCUMENTED EXCEPTION  r3 | c3 | documented"]


TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/p-trail"


def _trail(**overrides):
    """What roles/cloudtrail builds: describe_trails entry, status, public access block, bucket policy."""
    trail = {"Name": "p-trail", "TrailARN": TRAIL_ARN, "S3BucketName": "p-cloudtrail-123456789012",
             "IsMultiRegionTrail": True, "LogFileValidationEnabled": True, "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k",
             "CloudWatchLogsLogGroupArn": "arn:aws:logs:us-east-1:1:log-group:p-cloudtrail:*"}
    trail.update(overrides)
    return trail


def _trail_policy(*extra):
    source = {"aws:SourceArn": TRAIL_ARN}
    return json.dumps({"Statement": [
        {"Sid": "Acl", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Condition": {"StringEquals": source}},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Condition": {"StringEquals": dict(source, **{"s3:x-amz-acl": "x"})}},
        {"Sid": "Tls", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}] + list(extra)})


BLOCKED = dict.fromkeys(h.PUBLIC_ACCESS_BLOCKS, True)


def test_the_trail_the_role_builds_passes():
    assert h.check_cloudtrail(_trail(), {"IsLogging": True}, "p-trail", BLOCKED, _trail_policy()) == []


@pytest.mark.parametrize("overrides, check", [
    ({"IsMultiRegionTrail": False}, "trail is multi-region"),
    ({"LogFileValidationEnabled": False}, "trail log-file validation"),
    ({"KmsKeyId": None}, "trail KMS-encrypted"),
    ({"CloudWatchLogsLogGroupArn": ""}, "trail copied to CloudWatch Logs"),
])
def test_each_weakness_of_the_trail_is_named(overrides, check):
    found = h.check_cloudtrail(_trail(**overrides), {"IsLogging": True}, "p-trail", BLOCKED, _trail_policy())
    assert [(e["kind"], e["resource"], e["check"]) for e in found] == [("finding", "p-trail", check)]


def test_missing_or_stopped_trail_and_unreported_status():
    assert _checks(h.check_cloudtrail(None, None, "p-trail")) == [("p-trail", "audit trail exists")]
    stopped = h.check_cloudtrail(_trail(), {"IsLogging": False}, "p-trail", BLOCKED, _trail_policy())
    assert [(e["kind"], e["check"]) for e in stopped] == [("finding", "trail is logging")]
    unknown = h.check_cloudtrail(_trail(), {}, "p-trail", BLOCKED, _trail_policy())
    assert [(e["kind"], e["check"]) for e in unknown] == [("not_checkable", "trail is logging")]


def test_trail_bucket_open_or_writable_by_anyone_is_named():
    bucket = "p-cloudtrail-123456789012"
    found = h.check_cloudtrail(_trail(), {"IsLogging": True}, "p-trail", dict(BLOCKED, RestrictPublicBuckets=False),
                               _trail_policy({"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
                                             {"Sid": "Deputy", "Effect": "Allow", "Action": "s3:PutObject",
                                              "Principal": {"Service": "cloudtrail.amazonaws.com"}}))
    assert [(e["resource"], e["check"], e["detail"]) for e in found] == [
        (bucket, "trail bucket blocks public access", "off: RestrictPublicBuckets"),
        (bucket, "trail bucket policy", "statement Anyone allows any principal"),
        (bucket, "trail bucket policy", "statement Deputy has no aws:SourceArn condition")]
    bare = h.check_cloudtrail(_trail(), {"IsLogging": True}, "p-trail", None, None)
    assert [(e["check"], e["detail"]) for e in bare] == [
        ("trail bucket blocks public access", "no public access block"), ("trail bucket policy", "no bucket policy")]
