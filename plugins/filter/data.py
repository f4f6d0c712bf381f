# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of the data tier (secrets and rds roles) that argument_specs cannot express.

Each check returns messages that start with the variable at fault, so a failed run tells the operator what to
fix; the roles assert the list is empty before any AWS call.
"""

from __future__ import annotations

import re

ENGINE_VERSION = re.compile(r"^(?P<major>[1-9]\d)(\.\d{1,2})?$")
INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9]+$")
HHMM = r"([01]\d|2[0-3]):[0-5]\d"
DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
BACKUP_WINDOW = re.compile(r"^%s-%s$" % (HHMM, HHMM))
MAINTENANCE_WINDOW = re.compile(r"^%s:%s-%s:%s$" % (DAY, HHMM, DAY, HHMM))
SCHEDULE = re.compile(r"^(rate\((\d+) (hours?|days?)\)|cron\(.+\))$")
PG_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
# Names PostgreSQL on RDS keeps for itself.
RESERVED_USERS = {"postgres", "rdsadmin", "rdsrepladmin", "rds_superuser", "admin", "public"}
LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+$")
KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def engine_major(version):
    """'16.4' -> '16' (the parameter-group family is postgres<major>)."""
    match = ENGINE_VERSION.match(str(version))
    return match.group("major") if match else ""


def rds_problems(v):
    """Problems in the rds role's inputs; ``v`` maps each variable name to its value."""
    problems = []
    if not ENGINE_VERSION.match(str(v["rds_engine_version"])):
        problems.append("rds_engine_version: '%s' is not a PostgreSQL version like 16.4 or 16" % v["rds_engine_version"])
    retention = v["rds_backup_retention_days"]
    if not isinstance(retention, int) or not 1 <= retention <= 35:
        problems.append("rds_backup_retention_days: %s is outside 1-35 (days of automated backups; 0 would "
                        "disable backups and point-in-time recovery)" % retention)
    for var in ("rds_instance_class", "rds_read_replica_instance_class"):
        if not INSTANCE_CLASS.match(str(v[var])):
            problems.append("%s: '%s' is not an RDS instance class (db.<family>.<size>, for example db.t3.medium)"
                            % (var, v[var]))
    if not str(v["rds_master_secret_name"] or "").strip():
        problems.append("rds_master_secret_name: the Secrets Manager secret holding the master credentials "
                        "must be named (the secrets role creates <project>/<environment>/db-master)")
    if not BACKUP_WINDOW.match(str(v["rds_backup_window"])):
        problems.append("rds_backup_window: '%s' is not hh24:mi-hh24:mi (UTC)" % v["rds_backup_window"])
    if not MAINTENANCE_WINDOW.match(str(v["rds_maintenance_window"])):
        problems.append("rds_maintenance_window: '%s' is not ddd:hh24:mi-ddd:hh24:mi (UTC)" % v["rds_maintenance_window"])
    if v["rds_max_allocated_storage_gb"] and v["rds_max_allocated_storage_gb"] < v["rds_allocated_storage_gb"]:
        problems.append("rds_max_allocated_storage_gb: %s is below rds_allocated_storage_gb (%s)"
                        % (v["rds_max_allocated_storage_gb"], v["rds_allocated_storage_gb"]))
    if v["rds_backup_replication_region"]:
        if v["rds_backup_replication_region"] == v["rds_region"]:
            problems.append("rds_backup_replication_region: must differ from the instance's region %s" % v["rds_region"])
        if not KMS_KEY_ARN.match(str(v["rds_backup_replication_kms_key_arn"] or "")):
            problems.append("rds_backup_replication_kms_key_arn: a KMS key ARN in %s is required to encrypt the "
                            "replicated backups" % v["rds_backup_replication_region"])
        elif ":kms:%s:" % v["rds_backup_replication_region"] not in v["rds_backup_replication_kms_key_arn"]:
            problems.append("rds_backup_replication_kms_key_arn: the key must be in %s" % v["rds_backup_replication_region"])
    return problems


def secrets_problems(v):
    """Problems in the secrets role's inputs; ``v`` maps each variable name to its value."""
    problems = []
    user = str(v["secrets_db_master_username"])
    if not PG_IDENTIFIER.match(user) or user.lower() in RESERVED_USERS:
        problems.append("secrets_db_master_username: '%s' is not a usable RDS PostgreSQL master user (a letter, then "
                        "letters, digits or _, at most 63, not one of %s)" % (user, ", ".join(sorted(RESERVED_USERS))))
    if not PG_IDENTIFIER.match(str(v["secrets_db_master_database"])):
        problems.append("secrets_db_master_database: '%s' is not a PostgreSQL database name" % v["secrets_db_master_database"])
    api_keys = v["secrets_api_keys"]
    if not isinstance(api_keys, dict):
        problems.append("secrets_api_keys: must be a mapping of key name to value")
    else:
        for name, value in sorted(api_keys.items()):
            if not isinstance(value, str) or not value.strip():
                problems.append("secrets_api_keys.%s: the value is empty or not a string (set it in Vault)" % name)
    rotation_function = v["secrets_db_master_rotation_lambda_arn"]
    if rotation_function and not LAMBDA_ARN.match(str(rotation_function)):
        problems.append("secrets_db_master_rotation_lambda_arn: '%s' is not a Lambda function ARN" % rotation_function)
    schedule = SCHEDULE.match(str(v["secrets_db_master_rotation_schedule"]))
    if not schedule:
        problems.append("secrets_db_master_rotation_schedule: '%s' is not rate(N days|hours) or cron(...)"
                        % v["secrets_db_master_rotation_schedule"])
    elif schedule.group(2) and not 4 <= int(schedule.group(2)) * (24 if "day" in schedule.group(3) else 1) <= 24 * 1000:
        problems.append("secrets_db_master_rotation_schedule: Secrets Manager rotates every 4 hours to 1000 days")
    return problems


class FilterModule:
    def filters(self):
        return {
            "engine_major": engine_major,
            "rds_problems": rds_problems,
            "secrets_problems": secrets_problems,
        }
