# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The hardening checks of the plan's "Security Hardening" section, as pure functions over describe-call output.

Every function takes boto3 responses (CamelCase, as AWS returns them) plus the expectations of the inventory and
returns a list of entries made by ``finding()`` (something is weaker than the plan) or ``not_checkable()`` (the
answer lacks what the check needs, as the emulator's sometimes does: the check is reported, never passed).
No AWS call happens here, so every rule is unit-tested on plain dicts; the info module collects the answers.
"""

import json
import re
from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional
from urllib.parse import unquote

WORLD = ("0.0.0.0/0", "::/0")

# The plan's numbers. They are floors: an inventory may ask for more (floor()), never for less, so a check never
# passes because the inventory it judges lowered the bar.
PLAN_MIN_BACKUP_RETENTION_DAYS = 7  # "RDS PostgreSQL: Automated backups (7-day retention)"
PLAN_MIN_TASKS = 2  # "ECS Fargate (2-10 tasks)", Multi-AZ: one task per zone at least
PLAN_MULTI_AZ_ENVIRONMENTS = ("production",)  # "RDS PostgreSQL (Multi-AZ)" for production
# Not a plan number (it says "monitor error rates"): the cloudwatch role's default 5xx-rate alarm threshold. A
# ceiling: an inventory may only lower it.
MAX_5XX_PERCENT = 1.0
# The secret (last part of <project>/<environment>/<name>, docs/CONTRACTS.md) that rotates in production.
PLAN_ROTATING_SECRET = "db-master"


def floor(plan: Any, inventory: Any = None) -> int:
    """The higher of the plan's minimum and the inventory's (None or '' leaves the plan's)."""
    if inventory is None or inventory == "":
        return int(plan)
    return max(int(plan), int(inventory))


# Actions AWS gives no resource-level permissions, so a policy can only grant them on Resource "*". The IAM role
# writes exactly these (roles/iam/templates: the ECR login token; the X-Ray daemon's trace and sampling calls);
# scripts/iam-lint-accepted.yaml accepts the ECR one for the same reason.
AWS_WILDCARD_RESOURCE_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
)

# Variable names that carry credentials; they belong in a task definition's `secrets` (valueFrom), never in its
# plain `environment`, which anyone with ecs:DescribeTaskDefinition reads.
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
# Values that are credentials whatever the name: AWS access key ids, PEM private keys, URLs with a password.
SECRET_VALUE = re.compile(r"((?:AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|://[^/\s:@]+:[^/\s@]+@)")
WEAK_TLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
ROOT_USERS = ("", "0", "root")


def finding(resource: str, check: str, detail: str, remediation: str) -> Dict[str, str]:
    return {"kind": "finding", "resource": resource, "check": check, "detail": detail, "remediation": remediation}


def not_checkable(resource: str, check: str, reason: str) -> Dict[str, str]:
    return {"kind": "not_checkable", "resource": resource, "check": check, "reason": reason}


def split(entries: Iterable[Dict[str, str]]):
    """(findings, not_checkable) without the ``kind`` marker; exceptions are left to ``exceptions()``."""
    findings, unknown = [], []
    for entry in entries:
        body = {k: v for k, v in entry.items() if k != "kind"}
        if entry["kind"] != "exception":
            (findings if entry["kind"] == "finding" else unknown).append(body)
    return findings, unknown


def exceptions(entries: Iterable[Dict[str, str]]) -> List[Dict[str, str]]:
    """The documented exceptions among ``entries``, without the ``kind`` marker."""
    return [{k: v for k, v in e.items() if k != "kind"} for e in entries if e["kind"] == "exception"]


def _as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _tag(resource: Dict[str, Any], key: str = "Name") -> str:
    return {t.get("Key"): t.get("Value") for t in resource.get("Tags") or []}.get(key, "")


# --- IAM -----------------------------------------------------------------------------------------------------


def policy_document(document: Any) -> Dict[str, Any]:
    """A policy document as a dict, from a dict or the (URL-encoded) JSON string IAM returns."""
    if isinstance(document, dict):
        return document
    text = str(document)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def _action_allowed_on_wildcard(action: str, allowed: Iterable[str]) -> bool:
    return any(action.lower() == a.lower() for a in allowed)


def statement_findings(statement: Dict[str, Any], label: str,
                       wildcard_resource_actions: Iterable[str] = AWS_WILDCARD_RESOURCE_ACTIONS) -> List[Dict[str, str]]:
    """Allow statements: named actions (no "*", no "service:*", no Allow+NotAction) and ARNs as resources, with
    Resource "*" only for the actions AWS offers no resource-level permission for."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return []
    out = []
    actions = [str(a) for a in _as_list(statement.get("Action"))]
    if "NotAction" in statement:
        out.append(finding(label, "IAM names its actions", "Allow with NotAction %s grants every other action"
                           % _as_list(statement["NotAction"]), "name the actions the role needs"))
    broad = [a for a in actions if a == "*" or a.endswith(":*")]
    if broad:
        out.append(finding(label, "IAM names its actions", "allows %s" % ", ".join(broad),
                           "replace the wildcard with the actions the role needs"))
    resources = [str(r) for r in _as_list(statement.get("Resource"))]
    if "NotResource" in statement:
        out.append(finding(label, "IAM names its resources", "Allow with NotResource %s grants every other resource"
                           % _as_list(statement["NotResource"]), "name the resources as ARNs"))
    if "*" in resources:
        unexcused = [a for a in actions if not _action_allowed_on_wildcard(a, wildcard_resource_actions)]
        if unexcused:
            out.append(finding(label, "IAM names its resources",
                               'Resource "*" for %s (AWS requires "*" only for %s)'
                               % (", ".join(unexcused), ", ".join(wildcard_resource_actions)),
                               "scope the statement to the ARNs it needs"))
    return out


def trust_findings(document: Dict[str, Any], label: str) -> List[Dict[str, str]]:
    """A trust policy must name who may assume the role: no Principal "*" or AWS "*"."""
    out = []
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        values = [principal] if isinstance(principal, str) else \
            [v for vs in (principal or {}).values() for v in _as_list(vs)]
        if "*" in values or "NotPrincipal" in statement:
            out.append(finding(label, "trust names its principal", "any principal may assume the role",
                               "name the service (ecs-tasks.amazonaws.com, monitoring.rds.amazonaws.com)"))
    return out


def check_iam_roles(roles: List[Dict[str, Any]], expected: Iterable[str],
                    wildcard_resource_actions: Iterable[str] = AWS_WILDCARD_RESOURCE_ACTIONS) -> List[Dict[str, str]]:
    """``roles``: one dict per role found: ``RoleName``, ``AssumeRolePolicyDocument``, ``InlinePolicies``
    {name: document} and ``AttachedPolicies`` {arn: default-version document} (AWS-managed ones included)."""
    out = []
    found = {r["RoleName"]: r for r in roles}
    for name in expected:
        if name not in found:
            out.append(finding(name, "IAM role exists", "no such role", "run site.yml --tags security"))
    for role in roles:
        name = role["RoleName"]
        if role.get("AssumeRolePolicyDocument"):
            out += trust_findings(policy_document(role["AssumeRolePolicyDocument"]), "%s (trust)" % name)
        policies = [("%s:%s" % (name, p), d) for p, d in sorted((role.get("InlinePolicies") or {}).items())]
        policies += [("%s:%s" % (name, arn.rsplit("/", 1)[-1]), d)
                     for arn, d in sorted((role.get("AttachedPolicies") or {}).items())]
        for label, document in policies:
            for index, statement in enumerate(_as_list(policy_document(document).get("Statement"))):
                out += statement_findings(statement, "%s[%d]" % (label, index), wildcard_resource_actions)
    return out


# --- RDS -----------------------------------------------------------------------------------------------------


def _parameter(parameters: List[Dict[str, Any]], name: str) -> Optional[Dict[str, Any]]:
    return next((p for p in parameters if p.get("ParameterName") == name), None)


def check_rds(instances: List[Dict[str, Any]], primary: str, parameters: Dict[str, List[Dict[str, Any]]],
              multi_az: bool = True, min_backup_retention_days: int = PLAN_MIN_BACKUP_RETENTION_DAYS,
              log_exports: Iterable[str] = (), production: bool = False) -> List[Dict[str, str]]:
    """``instances``: describe_db_instances of the environment's instances (the primary and any replica or
    scratch restore); ``parameters``: describe_db_parameters per parameter group name.

    Every instance: encrypted with a KMS key, not publicly accessible, SSL forced by its parameter group. The
    primary also: Multi-AZ (always in ``production``, as the plan says; elsewhere as the inventory says), deletion
    protection, backups (and so point-in-time recovery) kept at least the plan's 7 days or the higher
    ``min_backup_retention_days``, the expected log exports.
    """
    multi_az = bool(multi_az) or bool(production)
    min_backup_retention_days = floor(PLAN_MIN_BACKUP_RETENTION_DAYS, min_backup_retention_days)
    out = []
    if not any(i.get("DBInstanceIdentifier") == primary for i in instances):
        out.append(finding(primary, "database exists", "no such DB instance", "run site.yml --tags data"))
    for db in instances:
        name = db["DBInstanceIdentifier"]
        if not db.get("StorageEncrypted") or not db.get("KmsKeyId"):
            out.append(finding(name, "RDS encrypted at rest", "StorageEncrypted=%s, KmsKeyId=%s"
                               % (db.get("StorageEncrypted"), db.get("KmsKeyId")),
                               "restore from an encrypted snapshot copy (encryption cannot be turned on in place)"))
        if db.get("PubliclyAccessible") is not False:
            out.append(finding(name, "RDS not publicly accessible", "PubliclyAccessible=%s" % db.get("PubliclyAccessible"),
                               "modify the instance with PubliclyAccessible=false (rerun --tags data)"))
        groups = [g["DBParameterGroupName"] for g in db.get("DBParameterGroups") or []]
        for group in groups:
            if group not in parameters:
                out.append(not_checkable(name, "RDS forces SSL", "parameters of %s were not read" % group))
                continue
            force_ssl = _parameter(parameters[group], "rds.force_ssl")
            if force_ssl is None or force_ssl.get("ParameterValue") is None:
                out.append(not_checkable(name, "RDS forces SSL",
                                         "%s reports no value for rds.force_ssl (an endpoint without the engine's "
                                         "default catalogue cannot tell the default)" % group))
            elif str(force_ssl["ParameterValue"]) != "1":
                out.append(finding(name, "RDS forces SSL", "%s sets rds.force_ssl=%s" % (group, force_ssl["ParameterValue"]),
                                   "set rds_parameters rds.force_ssl: 1 and rerun --tags data"))
        if not groups:
            out.append(finding(name, "RDS forces SSL", "no parameter group", "attach the environment's parameter group"))
        if name != primary:
            continue
        if bool(db.get("MultiAZ")) != multi_az:
            out.append(finding(name, "RDS Multi-AZ", "MultiAZ=%s, expected %s (%s)"
                               % (db.get("MultiAZ"), multi_az, "the plan, for production" if production else "rds_multi_az"),
                               "set rds_multi_az: true and rerun --tags data" if multi_az else "rerun --tags data"))
        if not db.get("DeletionProtection"):
            out.append(finding(name, "RDS deletion protection", "DeletionProtection=%s" % db.get("DeletionProtection"),
                               "set rds_deletion_protection: true and rerun --tags data"))
        retention = db.get("BackupRetentionPeriod")
        if retention is None:
            out.append(not_checkable(name, "RDS backups kept", "BackupRetentionPeriod not reported"))
        elif int(retention) < int(min_backup_retention_days):
            out.append(finding(name, "RDS backups kept", "BackupRetentionPeriod=%s (at least %s days: backups and "
                               "point-in-time recovery)" % (retention, min_backup_retention_days),
                               "set rds_backup_retention_days and rerun --tags data"))
        missing = sorted(set(log_exports) - set(db.get("EnabledCloudwatchLogsExports") or []))
        if missing:
            out.append(finding(name, "RDS exports its logs", "not exported: %s" % ", ".join(missing),
                               "rerun --tags data (rds_log_exports)"))
    return out


# --- load balancer -------------------------------------------------------------------------------------------


def _redirects_to_https(actions: List[Dict[str, Any]]) -> bool:
    return bool(actions) and all(a.get("Type") == "redirect" and
                                 (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS" for a in actions)


def check_load_balancer(load_balancer: Optional[Dict[str, Any]], name: str, listeners: List[Dict[str, Any]],
                        rules: Dict[str, List[Dict[str, Any]]], attributes: Dict[str, str],
                        ssl_policies: Dict[str, Dict[str, Any]],
                        deletion_protection: bool = True) -> List[Dict[str, str]]:
    """HTTP only redirects to HTTPS (default action and every rule); HTTPS uses a policy without SSLv3, TLS 1.0
    or 1.1; invalid header fields are dropped; deletion protection as the inventory says.

    ``rules``: describe_rules per HTTP listener ARN; ``attributes``: describe_load_balancer_attributes as a dict;
    ``ssl_policies``: describe_ssl_policies by name.
    """
    if load_balancer is None:
        return [finding(name, "load balancer exists", "no such load balancer", "run site.yml --tags edge")]
    out = []
    if not any(listener.get("Protocol") == "HTTPS" for listener in listeners):
        out.append(finding(name, "HTTPS listener", "no HTTPS listener", "rerun --tags edge"))
    for listener in listeners:
        label = "%s listener %s:%s" % (name, listener.get("Protocol"), listener.get("Port"))
        if listener.get("Protocol") == "HTTP":
            if not _redirects_to_https(listener.get("DefaultActions") or []):
                out.append(finding(label, "HTTP only redirects to HTTPS", "default action %s"
                                   % [a.get("Type") for a in listener.get("DefaultActions") or []],
                                   "make the default action a redirect to HTTPS:443 (rerun --tags edge)"))
            for rule in rules.get(listener["ListenerArn"], []):
                if not rule.get("IsDefault") and not _redirects_to_https(rule.get("Actions") or []):
                    out.append(finding(label, "HTTP only redirects to HTTPS", "rule %s %s"
                                       % (rule.get("Priority"), [a.get("Type") for a in rule.get("Actions") or []]),
                                       "delete the rule; routing rules belong on the HTTPS listener"))
        elif listener.get("Protocol") == "HTTPS":
            policy_name = listener.get("SslPolicy")
            policy = ssl_policies.get(policy_name)
            if policy is None:
                out.append(not_checkable(label, "TLS 1.2 or newer", "policy %s is not described by this endpoint"
                                         % policy_name))
                continue
            weak = sorted(set(policy.get("SslProtocols") or []) & set(WEAK_TLS))
            if weak or not policy.get("SslProtocols"):
                out.append(finding(label, "TLS 1.2 or newer", "%s allows %s" % (policy_name, ", ".join(weak) or "no protocol listed"),
                                   "set alb_ssl_policy to a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06"))
        else:
            out.append(finding(label, "only HTTPS and the HTTP redirect", "listener protocol %s" % listener.get("Protocol"),
                               "delete the listener"))
    expected = {"routing.http.drop_invalid_header_fields.enabled": "true"}
    if deletion_protection:
        expected["deletion_protection.enabled"] = "true"
    for key, value in expected.items():
        if key not in attributes:
            out.append(not_checkable(name, key, "the endpoint does not report the attribute"))
        elif str(attributes[key]).lower() != value:
            out.append(finding(name, key, "%s=%s" % (key, attributes[key]), "rerun --tags edge"))
    return out


# --- ECS -----------------------------------------------------------------------------------------------------


def container_findings(task_definition: Dict[str, Any]) -> List[Dict[str, str]]:
    """Credentials only through ``secrets``; containers not privileged, non-root, read-only root filesystem,
    logging through awslogs."""
    out = []
    family = "%s:%s" % (task_definition.get("family"), task_definition.get("revision"))
    for container in task_definition.get("containerDefinitions") or []:
        label = "%s/%s" % (family, container.get("name"))
        for variable in container.get("environment") or []:
            name, value = str(variable.get("name", "")), str(variable.get("value", ""))
            if SECRET_NAME.search(name) or SECRET_VALUE.search(value):
                out.append(finding(label, "no secret in plain environment",
                                   "environment variable %s looks like a credential" % name,
                                   "inject it from Secrets Manager through the service's `secrets` list and "
                                   "register a new revision without it"))
        if container.get("privileged"):
            out.append(finding(label, "container not privileged", "privileged=true", "drop privileged"))
        if container.get("readonlyRootFilesystem") is not True:
            out.append(finding(label, "read-only root filesystem", "readonlyRootFilesystem=%s"
                               % container.get("readonlyRootFilesystem"),
                               "set readonlyRootFilesystem and give writable paths as volumes"))
        if str(container.get("user") or "").split(":", 1)[0] in ROOT_USERS:
            out.append(finding(label, "container runs as non-root", "user=%r" % container.get("user"),
                               "run as a numeric non-root user"))
        log_driver = (container.get("logConfiguration") or {}).get("logDriver")
        if log_driver != "awslogs":
            out.append(finding(label, "logs to CloudWatch", "logDriver=%s" % log_driver,
                               "configure the awslogs driver with the service's log group"))
    return out


def check_ecs(task_definitions: List[Dict[str, Any]], families: Iterable[str],
              services: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """``task_definitions``: the latest ACTIVE revision of each family plus the revisions the services run;
    ``services``: describe_services of the cluster (no public IP on tasks)."""
    out = []
    seen = {td.get("family") for td in task_definitions}
    for family in families:
        if family not in seen:
            out.append(finding(family, "task definition exists", "no ACTIVE revision", "run site.yml --tags compute"))
    for task_definition in task_definitions:
        out += container_findings(task_definition)
    for service in services:
        vpc = (service.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        if vpc.get("assignPublicIp") != "DISABLED":
            out.append(finding(service.get("serviceName", "?"), "no public IP on ECS tasks",
                               "assignPublicIp=%s" % vpc.get("assignPublicIp"),
                               "run the service in private subnets with assignPublicIp DISABLED"))
    return out


# --- logs, secrets, keys -------------------------------------------------------------------------------------


def check_log_groups(groups: List[Dict[str, Any]], expected: Iterable[str]) -> List[Dict[str, str]]:
    """Every group of the environment is encrypted with a KMS key and expires its events."""
    out = []
    names = {g["logGroupName"] for g in groups}
    for name in expected:
        if name not in names:
            out.append(finding(name, "log group exists", "no such log group", "run site.yml --tags observability"))
    for group in groups:
        name = group["logGroupName"]
        if not group.get("kmsKeyId"):
            out.append(finding(name, "log group KMS-encrypted", "no kmsKeyId",
                               "associate the logs key (rerun --tags observability)"))
        if not group.get("retentionInDays"):
            out.append(finding(name, "log group retention set", "events never expire",
                               "set the retention (rerun --tags observability)"))
    return out


def check_kms_keys(keys: Dict[str, Optional[Dict[str, Any]]]) -> List[Dict[str, str]]:
    """``keys``: alias -> {KeyMetadata, KeyRotationEnabled} (None when the alias is missing)."""
    out = []
    for alias, key in sorted(keys.items()):
        if key is None:
            out.append(finding(alias, "KMS key exists", "no such alias", "run site.yml --tags security"))
            continue
        metadata = key.get("KeyMetadata") or {}
        if metadata.get("KeyManager") != "CUSTOMER":
            out.append(finding(alias, "customer-managed KMS key", "KeyManager=%s" % metadata.get("KeyManager"),
                               "point the alias at the environment's own key"))
        if metadata.get("KeyState") != "Enabled":
            out.append(finding(alias, "KMS key enabled", "KeyState=%s" % metadata.get("KeyState"), "enable the key"))
        if key.get("KeyRotationEnabled") is None:
            out.append(not_checkable(alias, "KMS key rotation", "rotation status not reported"))
        elif not key["KeyRotationEnabled"]:
            out.append(finding(alias, "KMS key rotation", "automatic rotation off", "set kms_enable_key_rotation: true"))
    return out


def exception(resource: str, check: str, reason: str) -> Dict[str, str]:
    """A documented, deliberate exception to a check: reported as such, neither passed nor a finding."""
    return {"kind": "exception", "resource": resource, "check": check, "reason": reason}


def _master_rotates(secret: Dict[str, Any], rds_master: Optional[Dict[str, Any]]) -> bool:
    """The database master credential rotates: RDS manages its password in its own secret (``rds_master``, the
    describe_secret of the instance's MasterUserSecret) with rotation on, or db-master itself rotates."""
    if secret.get("RotationEnabled"):
        return True
    rds_master = rds_master or {}
    # AWS reports RotationEnabled on the RDS-owned secret (rotation by RDS, every 7 days by default). EMULATOR:
    # moto leaves it out, so an RDS-owned secret not saying "off" counts as rotated by RDS.
    return bool(rds_master.get("RotationEnabled")
                or (rds_master.get("RotationEnabled") is None and rds_master.get("OwningService") == "rds"))


def check_secrets(secrets: Dict[str, Optional[Dict[str, Any]]], key_managers: Dict[str, str],
                  rotation_expected: Iterable[str] = (), production: bool = False,
                  rotation_exceptions: Optional[Dict[str, str]] = None,
                  rds_master: Optional[Dict[str, Any]] = None) -> List[Dict[str, str]]:
    """``secrets``: name -> describe_secret (None when missing); ``key_managers``: KMS key id/ARN -> KeyManager.
    Each secret is encrypted with a customer-managed key (not aws/secretsmanager); rotation is on where expected:
    the names in ``rotation_expected`` and, in ``production``, the database master secret whatever the inventory
    says (the plan: "Automatic rotation (for supported secrets)"; RDS's master password is the supported one: the
    RDS-managed ``rds_master`` secret rotating counts for db-master, and is checked for our key too).
    ``rotation_exceptions`` (name -> documented reason): secrets the application cannot rotate yet (JWT signing
    key, third-party API keys); reported as exceptions while their rotation is off. In ``production`` every other
    secret must rotate; the master secret can never be an exception."""
    out = []
    exceptions = dict(rotation_exceptions or {})
    master = {name for name in secrets if name.rsplit("/", 1)[-1] == PLAN_ROTATING_SECRET}
    rotation_expected = set(rotation_expected) | (set(secrets) if production else set())
    checked = dict(secrets)
    if rds_master is not None:
        checked[rds_master.get("Name") or rds_master.get("ARN") or "RDS-managed master secret"] = rds_master
    for name, secret in sorted(checked.items()):
        if secret is None:
            out.append(finding(name, "secret exists", "no such secret", "run site.yml --tags data"))
            continue
        key = secret.get("KmsKeyId")
        if not key:
            out.append(finding(name, "secret encrypted with our KMS key", "default aws/secretsmanager key",
                               "set the secret's KmsKeyId to the secrets key (rerun --tags data)"))
        elif key_managers.get(key) is None:
            out.append(not_checkable(name, "secret encrypted with our KMS key", "key %s was not described" % key))
        elif key_managers[key] != "CUSTOMER":
            out.append(finding(name, "secret encrypted with our KMS key", "KeyManager=%s" % key_managers[key],
                               "set the secret's KmsKeyId to the secrets key (rerun --tags data)"))
        if name in master and (production or name in rotation_expected):
            if not _master_rotates(secret, rds_master):
                out.append(finding(name, "secret rotation", "the master password does not rotate",
                                   "set rds_manage_master_user_password: true (RDS rotates it) and rerun --tags data"))
        elif name in rotation_expected and not secret.get("RotationEnabled"):
            if name in exceptions:
                out.append(exception(name, "secret rotation", exceptions[name]))
            else:
                out.append(finding(name, "secret rotation", "rotation is off",
                                   "rotate it, or document why it cannot (hardening_rotation_exceptions)"))
    return out


# --- audit trail ---------------------------------------------------------------------------------------------

PUBLIC_ACCESS_BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _trail_bucket_findings(bucket: str, public_access: Optional[Dict[str, Any]], policy: Any) -> List[Dict[str, str]]:
    out = []
    if public_access is None:
        out.append(finding(bucket, "trail bucket blocks public access", "no public access block",
                           "rerun site.yml --tags audit"))
    else:
        open_ = [flag for flag in PUBLIC_ACCESS_BLOCKS if public_access.get(flag) is not True]
        if open_:
            out.append(finding(bucket, "trail bucket blocks public access", "off: %s" % ", ".join(open_),
                               "rerun site.yml --tags audit"))
    if not policy:
        out.append(finding(bucket, "trail bucket policy", "no bucket policy", "rerun site.yml --tags audit"))
        return out
    for statement in _as_list(policy_document(policy).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        if statement.get("Principal") in ("*", {"AWS": "*"}):
            out.append(finding(bucket, "trail bucket policy", "statement %s allows any principal"
                               % statement.get("Sid", "?"), "allow only cloudtrail.amazonaws.com"))
        elif "aws:SourceArn" not in json.dumps(statement.get("Condition") or {}):
            out.append(finding(bucket, "trail bucket policy", "statement %s has no aws:SourceArn condition"
                               % statement.get("Sid", "?"), "narrow it to the trail's ARN (confused deputy)"))
    return out


def check_cloudtrail(trail: Optional[Dict[str, Any]], status: Optional[Dict[str, Any]], name: str,
                     public_access: Optional[Dict[str, Any]] = None, bucket_policy: Any = None) -> List[Dict[str, str]]:
    """``trail``: the describe_trails entry named ``name`` (None when missing); ``status``: get_trail_status;
    ``public_access``/``bucket_policy``: the trail bucket's public access block and policy (None when absent).
    The plan's audit logging: a logging, multi-region trail with log-file validation, encrypted with a KMS key,
    copied to CloudWatch Logs, to a private bucket that only the trail writes to."""
    if trail is None:
        return [finding(name, "audit trail exists", "no such trail", "run site.yml --tags audit")]
    out = []
    for key, check, fix in (("IsMultiRegionTrail", "trail is multi-region", "set cloudtrail_multi_region: true"),
                            ("LogFileValidationEnabled", "trail log-file validation", "rerun --tags audit"),
                            ("KmsKeyId", "trail KMS-encrypted", "rerun --tags audit (the logs key)"),
                            ("CloudWatchLogsLogGroupArn", "trail copied to CloudWatch Logs", "rerun --tags audit")):
        if not trail.get(key):
            out.append(finding(name, check, "%s is %s" % (key, trail.get(key)), fix))
    if status is None or "IsLogging" not in status:
        out.append(not_checkable(name, "trail is logging", "trail status not reported"))
    elif not status["IsLogging"]:
        out.append(finding(name, "trail is logging", "logging is stopped", "rerun --tags audit (StartLogging)"))
    return out + _trail_bucket_findings(trail.get("S3BucketName", "?"), public_access, bucket_policy)


def table(findings: List[Dict[str, str]], unknown: List[Dict[str, str]],
          accepted: Iterable[Dict[str, str]] = ()) -> List[str]:
    """Lines of the play's report: one per finding, then one per check that could not be made here, then one per
    documented exception."""
    lines = ["FINDING  %s | %s | %s | fix: %s" % (f["resource"], f["check"], f["detail"], f["remediation"])
             for f in findings]
    lines += ["NOT CHECKABLE HERE  %s | %s | %s" % (u["resource"], u["check"], u["reason"]) for u in unknown]
    lines += ["DOCUMENTED EXCEPTION  %s | %s | %s" % (a["resource"], a["check"], a["reason"]) for a in accepted]
    return lines
