# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naming contract of the environment, as data: every resource name and tag derives from here.

Roles find each other's resources by these names (never by facts from an earlier play), so a tagged run works on
its own. The filter plugin lifeworld.production.contract hands the same table to roles and playbooks, the
hardening module and scripts import it, and docs/CONTRACTS.md is checked against it (tests/unit/test_contract.py).

A name is a pattern over five fields: ``{prefix}`` (``<project>-<environment>``, lifeworld_name_prefix),
``{project}``, ``{environment}``, ``{secret_path}`` (``<project>/<environment>``) and ``{account}`` (the AWS account
id, for the globally unique S3 bucket names; only filled when the caller passes it). Plain Python, no Ansible
import: scripts and tests use it as is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Tags every resource carries; roles add Component (and Name where AWS allows).
MANAGED_BY = "ansible"

# key: (component, what it is, pattern). Order is the order of docs/CONTRACTS.md.
NAMES = (
    ("vpc", "network", "VPC (tag Name)", "{prefix}-vpc"),
    ("flow_logs", "network", "flow-log group and its IAM role", "{prefix}-vpc-flow-logs"),
    ("kms_rds", "security", "KMS alias of the RDS key", "alias/{prefix}-rds"),
    ("kms_secrets", "security", "KMS alias of the Secrets Manager key", "alias/{prefix}-secrets"),
    ("kms_logs", "security", "KMS alias of the CloudWatch Logs key", "alias/{prefix}-logs"),
    ("role_ecs_task_execution", "security", "IAM role of the ECS agent", "{prefix}-ecs-task-execution"),
    ("role_ecs_task", "security", "IAM role of the application", "{prefix}-ecs-task"),
    ("role_rds_monitoring", "security", "IAM role of RDS enhanced monitoring", "{prefix}-rds-monitoring"),
    ("sg_alb", "security", "security group of the ALB (tag Name)", "{prefix}-alb"),
    ("sg_ecs", "security", "security group of the ECS tasks (tag Name)", "{prefix}-ecs"),
    ("sg_rds", "security", "security group of PostgreSQL (tag Name)", "{prefix}-rds"),
    ("sg_client_vpn", "security", "security group of the Client VPN endpoint (tag Name)", "{prefix}-client-vpn"),
    ("secret_path", "data", "path every secret name starts with", "{secret_path}"),
    ("secret_jwt", "data", "secret: JWT signing key", "{secret_path}/jwt-secret"),
    ("secret_db_master", "data", "secret: RDS master credentials (JSON)", "{secret_path}/db-master"),
    ("secret_api_keys", "data", "secret: third-party API keys (JSON)", "{secret_path}/api-keys"),
    ("db_instance", "data", "RDS instance", "{prefix}-db"),
    ("db_subnet_group", "data", "RDS subnet group", "{prefix}-db"),
    ("db_replica", "data", "RDS read replica", "{prefix}-db-replica"),
    ("db_parameter_group", "data", "RDS parameter group, followed by the engine major", "{prefix}-pg"),
    ("db_pitr", "data", "scratch instance of the DR drill", "{prefix}-db-pitr"),
    ("ecr_namespace", "registry", "ECR repositories: <namespace>/backend, <namespace>/frontend", "{project}"),
    ("ecr_backend", "registry", "ECR repository of the backend image", "{project}/backend"),
    ("ecr_frontend", "registry", "ECR repository of the frontend image", "{project}/frontend"),
    ("log_group_backend", "observability", "log group of the backend", "/ecs/{prefix}/backend"),
    ("log_group_frontend", "observability", "log group of the frontend", "/ecs/{prefix}/frontend"),
    ("log_group_rds", "observability", "RDS log exports, followed by the log type", "/aws/rds/instance/{prefix}-db/"),
    ("trail", "audit", "CloudTrail trail", "{prefix}-trail"),
    ("alerts_topic", "observability", "SNS alert topic", "{prefix}-alerts"),
    ("alarm_set", "observability", "alarm name prefix and AlarmSet tag", "{prefix}"),
    ("alb", "edge", "application load balancer", "{prefix}-alb"),
    ("tg_backend", "edge", "target group of the backend (32-character limit)", "{prefix}-be"),
    ("tg_frontend", "edge", "target group of the frontend (32-character limit)", "{prefix}-fe"),
    ("waf_web_acl", "edge", "WAF web ACL", "{prefix}-web-acl"),
    ("waf_ip_set", "edge", "WAF IP set", "{prefix}-ip-set"),
    ("waf_log_group", "edge", "WAF log group (AWS requires the aws-waf-logs- prefix)", "aws-waf-logs-{prefix}"),
    ("alb_access_logs", "edge", "S3 bucket of the ALB access logs (bucket names are global: the account id)",
     "{prefix}-{account}-alb-logs"),
    ("client_vpn", "edge", "Client VPN endpoint", "{prefix}-vpn"),
    ("client_vpn_log_group", "edge", "Client VPN connection-log group", "/aws/client-vpn/{prefix}"),
    ("ecs_cluster", "compute", "ECS cluster", "{prefix}"),
    ("task_family_backend", "compute", "task family of the backend", "{prefix}-backend"),
    ("task_family_frontend", "compute", "task family of the frontend", "{prefix}-frontend"),
    ("service_namespace", "compute", "Cloud Map private DNS namespace", "{environment}.{project}.internal"),
)

FIELDS = ("prefix", "project", "environment", "secret_path", "account")

# Short names of the three secrets under secret_path, as the ECS role's secret references spell them.
SECRETS = ("jwt-secret", "db-master", "api-keys")


def name_prefix(project, environment):
    """``<project>-<environment>``: every resource name starts with it."""
    if not project or not environment:
        raise ValueError("lifeworld_project and lifeworld_environment must both be set (got %r, %r)"
                         % (project, environment))
    return "%s-%s" % (project, environment)


def names(prefix, project=None, environment=None, secret_path=None, account=None):
    """Every name of the contract, by key. Without project/environment only the prefix-based names are filled.

    A role may run with its own name prefix (``<role>_name_prefix``) or secret path (``secrets_path``), so those
    are inputs of their own rather than always derived from project and environment.
    """
    if not secret_path and project and environment:
        secret_path = "%s/%s" % (project, environment)
    fields = {"prefix": prefix, "project": project, "environment": environment, "secret_path": secret_path,
              "account": account}
    table = {}
    for key, _component, _what, pattern in NAMES:
        if all(fields[f] for f in FIELDS if "{%s}" % f in pattern):
            table[key] = pattern.format(**fields)
    return table


def tags(project, environment, component=None, extra=None):
    """Tags of every resource: Project, Environment, ManagedBy (+ Component), then the inventory's extra tags."""
    result = {"Project": project, "Environment": environment, "ManagedBy": MANAGED_BY}
    if component:
        result["Component"] = component
    result.update(extra or {})
    return result


def contract(project, environment, extra_tags=None):
    """The whole contract of one environment: prefix, tags and names."""
    prefix = name_prefix(project, environment)
    return {
        "prefix": prefix,
        "project": project,
        "environment": environment,
        "tags": tags(project, environment, extra=extra_tags),
        "names": names(prefix, project, environment),
        "secrets": list(SECRETS),
    }


def aws_connection(endpoint_url=None, profile=None):
    """Options every AWS module group gets through module_defaults; unset ones are left out.

    The region is deliberately not here: amazon.aws.route53 has its own ``region`` option (latency routing) that a
    group default would fill, so the region travels in the environment (aws_environment).
    """
    return {key: value for key, value in (("endpoint_url", endpoint_url), ("profile", profile)) if value}


def aws_environment(region, endpoint_url=None, profile=None, with_connection=False):
    """Process environment of AWS calls: the region (every AWS module and plain boto3 honour AWS_REGION), plus the
    endpoint and profile for plain boto3 scripts, which module_defaults cannot reach (with_connection)."""
    env = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    if with_connection:
        env.update({k: v for k, v in (("AWS_ENDPOINT_URL", endpoint_url), ("AWS_PROFILE", profile)) if v})
    return env
