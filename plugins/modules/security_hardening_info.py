#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: security_hardening_info
version_added: 1.0.0
short_description: Check a built environment against the plan's security hardening rules
description:
  - Reads the environment back from AWS (describe, get and list calls only; it changes nothing) and reports every
    place where it is weaker than the plan's "Security Hardening" section, as findings naming the resource, the
    check, what was seen and how to fix it.
  - "Security groups: no ingress from 0.0.0.0/0 or ::/0 except a public ALB on its listener ports; the ALB admits
    only O(alb_allowed_cidrs), the prefix lists O(alb_prefix_list_names) and, with O(client_vpn), the Client VPN
    endpoint's group; the ECS group only the ALB's group; the RDS group only the ECS group, O(migration_cidrs) and,
    with O(client_vpn) and O(migration_window), the Client VPN group, on O(rds_port) (that group outside a migration
    window is a finding)."
  - "IAM: no Allow of C(*) or C(service:*) actions, no NotAction/NotResource, C(Resource: *) only for the actions
    AWS gives no resource-level permissions (O(iam_wildcard_resource_actions)); trust policies name their principal.
    Inline and attached policies (AWS-managed ones included) are read."
  - "RDS: encrypted with a KMS key, not publicly accessible, SSL forced by the parameter group (C(rds.force_ssl=1))
    on every instance named after O(rds_instance); the primary also Multi-AZ as O(rds_multi_az), deletion
    protection, backups kept at least O(rds_min_backup_retention_days), the O(rds_log_exports) exported."
  - "ALB: the HTTP listener only redirects to HTTPS (default action and rules); HTTPS listeners use a policy
    without SSLv3, TLS 1.0 or TLS 1.1 (read with DescribeSSLPolicies); invalid header fields dropped; deletion
    protection when O(alb_deletion_protection)."
  - "Edge logging: the ALB's access logs on (O(alb_access_logs)), to a bucket encrypted with SSE-S3 (ELB delivers
    nothing to an SSE-KMS bucket) that blocks public access; a web ACL O(waf_web_acl_name) that exists (it must when
    O(waf_expected)) logs to an C(aws-waf-logs-) destination with O(waf_redacted_headers) redacted."
  - "ECS: the latest ACTIVE revision of each of O(ecs_task_families) and the revisions the services of
    O(ecs_cluster) run: no credential-looking variable or value in plain C(environment), containers not
    privileged, non-root, read-only root filesystem, awslogs logging; services assign no public IP."
  - "Logs: every group under O(log_group_prefixes) is KMS-encrypted and has a retention. Secrets: each of
    O(secret_names) is encrypted with a customer-managed key, rotation on for O(secrets_rotation_expected) (in
    O(production) for every secret); a secret of O(secrets_rotation_exceptions) whose rotation is off is reported
    under RV(exceptions), never passed silently. The database master secret rotates when RDS manages the master
    password (the instance's RDS-managed secret, also checked for the key, has rotation on) or when it rotates
    itself; it can never be an exception. KMS: each of O(kms_aliases) is a customer-managed, enabled key with
    rotation on."
  - "Audit: the trail O(trail_name) exists, is multi-region, validates its log files, is encrypted with a KMS key,
    is copied to CloudWatch Logs and is logging; its bucket blocks public access and only the trail (with an
    C(aws:SourceArn) condition) may write to it."
  - A check whose answer lacks what it needs (an endpoint that does not report an attribute) is listed under
    RV(not_checkable) with the reason, never passed.
  - Supports check mode (it never changes anything).
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name_prefix:
    description:
      - The environment's name prefix (C(<project>-<environment>)); the defaults of the other options derive from
        it following docs/CONTRACTS.md.
    type: str
    required: true
  vpc_name:
    description: Name tag of the environment's VPC. Defaults to C(<prefix>-vpc).
    type: str
  security_group_names:
    description:
      - Name tags of the groups, keyed C(alb), C(ecs), C(rds) and C(client_vpn). Defaults to C(<prefix>-alb) and
        so on (C(<prefix>-client-vpn)).
    type: dict
  alb_allowed_cidrs:
    description: Client CIDRs the ALB may admit.
    type: list
    elements: str
    default: []
  alb_public:
    description: Whether the ALB may admit 0.0.0.0/0 and ::/0 (on O(alb_ports) only).
    type: bool
    default: false
  alb_ports:
    description: The ALB's listener ports.
    type: list
    elements: int
    default: [443, 80]
  rds_port:
    description: PostgreSQL port of the RDS group.
    type: int
    default: 5432
  migration_cidrs:
    description:
      - CIDRs the RDS group may admit besides the ECS group. The collection's roles put none there (the migration
        host reaches RDS through the Client VPN, see O(migration_window)); a public CIDR is a finding regardless.
    type: list
    elements: str
    default: []
  migration_window:
    description:
      - A migration is running, so the RDS group may admit the Client VPN endpoint's group (O(client_vpn)). Without
        it that rule is a finding (a migration window left open).
    type: bool
    default: false
  client_vpn:
    description:
      - The access mode is C(client_vpn) (internal ALB). Client VPN source-NATs client traffic to its network
        interfaces, so the ALB (listener ports) and, during O(migration_window), RDS may admit the endpoint's own
        group; it must exist.
    type: bool
    default: false
  alb_prefix_list_names:
    description:
      - Managed prefix lists the ALB may admit on its listener ports, by name (the Route 53 health checkers'
        C(com.amazonaws.<region>.route53-healthchecks) while health checks are on).
    type: list
    elements: str
    default: []
  iam_role_names:
    description:
      - Roles to read. Defaults to C(<prefix>-ecs-task-execution), C(<prefix>-ecs-task), C(<prefix>-rds-monitoring)
        and C(<prefix>-vpc-flow-logs).
    type: list
    elements: str
  iam_wildcard_resource_actions:
    description:
      - Actions that may be allowed on C(Resource "*") because AWS offers no resource-level permission for them.
      - Defaults to C(ecr:GetAuthorizationToken) and the X-Ray daemon's C(xray:PutTraceSegments),
        C(xray:PutTelemetryRecords), C(xray:GetSamplingRules), C(xray:GetSamplingTargets).
    type: list
    elements: str
  rds_instance:
    description: The primary DB instance. Defaults to C(<prefix>-db); instances named C(<rds_instance>-*) are checked too.
    type: str
  rds_multi_az:
    description:
      - Whether the primary must be Multi-AZ (or must not be). With O(production) it must be, whatever this says.
    type: bool
    default: true
  rds_min_backup_retention_days:
    description:
      - Fewest days of automated backups (and so of point-in-time recovery) the primary may keep. The plan's 7 days
        is the floor; a lower value does not lower it, a higher one raises it.
    type: int
    default: 7
  production:
    description:
      - The environment is production, so the plan's production minimums apply whatever the other options say
        (they can only raise them) - the primary is Multi-AZ, and the database master secret (C(*/db-master))
        rotates even when it is not in O(secrets_rotation_expected).
    type: bool
    default: false
  rds_log_exports:
    description: Log types the primary must export to CloudWatch Logs.
    type: list
    elements: str
    default: []
  load_balancer_name:
    description: The ALB. Defaults to C(<prefix>-alb).
    type: str
  alb_deletion_protection:
    description: Whether the ALB must have deletion protection on.
    type: bool
    default: true
  alb_access_logs:
    description: Whether the ALB must deliver access logs (the plan's default; off only for a caller that says so).
    type: bool
    default: true
  waf_web_acl_name:
    description: The regional web ACL. Defaults to C(<prefix>-web-acl).
    type: str
  waf_expected:
    description: Whether the web ACL must exist (the inventory's C(waf_enabled)). One that exists is checked either way.
    type: bool
    default: false
  waf_redacted_headers:
    description: Request headers the web ACL's logs must redact.
    type: list
    elements: str
    default: [authorization, cookie]
  ecs_cluster:
    description: The ECS cluster. Defaults to C(<prefix>).
    type: str
  ecs_task_families:
    description: Task definition families. Defaults to C(<prefix>-backend) and C(<prefix>-frontend).
    type: list
    elements: str
  log_group_prefixes:
    description:
      - Name prefixes of the environment's log groups. Defaults to C(/ecs/<prefix>/), C(/aws/rds/instance/<rds_instance>/),
        C(<prefix>-vpc-flow-logs), C(/aws/client-vpn/<prefix>) and C(aws-waf-logs-<prefix>).
    type: list
    elements: str
  log_group_names:
    description: Log groups that must exist. Defaults to C(/ecs/<prefix>/backend) and C(/ecs/<prefix>/frontend).
    type: list
    elements: str
  secret_names:
    description: Secrets Manager secrets to check (names or ARNs).
    type: list
    elements: str
    default: []
  secrets_rotation_expected:
    description: Those of O(secret_names) whose rotation must be on.
    type: list
    elements: str
    default: []
  secrets_rotation_exceptions:
    description:
      - Secrets (of O(secret_names)) whose rotation is a documented, deliberate exception, with the reason, for
        example a JWT signing key the application cannot yet hold two of. Reported under RV(exceptions) while
        their rotation is off.
    type: dict
    default: {}
  kms_aliases:
    description: KMS aliases to check. Defaults to C(alias/<prefix>-rds), C(alias/<prefix>-secrets), C(alias/<prefix>-logs).
    type: list
    elements: str
  trail_name:
    description: Name of the audit trail (the cloudtrail role's). Defaults to C(<prefix>-trail).
    type: str
notes:
  - "IAM permissions: ec2:DescribeVpcs, ec2:DescribeSecurityGroups, iam:GetRole, iam:ListRolePolicies,
    iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion, rds:DescribeDBInstances,
    rds:DescribeDBParameters, elasticloadbalancing:DescribeLoadBalancers, elasticloadbalancing:DescribeListeners,
    elasticloadbalancing:DescribeRules, elasticloadbalancing:DescribeLoadBalancerAttributes,
    ec2:DescribeManagedPrefixLists, elasticloadbalancing:DescribeSSLPolicies, ecs:DescribeTaskDefinition, ecs:ListServices, ecs:DescribeServices,
    logs:DescribeLogGroups, secretsmanager:DescribeSecret (never GetSecretValue), kms:DescribeKey,
    kms:GetKeyRotationStatus, cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, s3:GetBucketPublicAccessBlock,
    s3:GetBucketPolicy, s3:GetEncryptionConfiguration, wafv2:ListWebACLs, wafv2:GetLoggingConfiguration."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the production environment
  lifeworld.production.security_hardening_info:
    name_prefix: life-world-os-production
    alb_allowed_cidrs: [203.0.113.0/24]
    rds_log_exports: [postgresql, upgrade]
    secret_names:
      - life-world-os/production/jwt-secret
      - life-world-os/production/db-master
      - life-world-os/production/api-keys
    secrets_rotation_expected: [life-world-os/production/db-master]
  register: hardening

- name: Fail naming every finding
  ansible.builtin.assert:
    that: hardening.findings | length == 0
    fail_msg: "{{ hardening.report }}"
"""

RETURN = r"""
findings:
  description: Where the environment is weaker than the plan; empty when it passes every check.
  returned: always
  type: list
  elements: dict
  contains:
    resource:
      description: The resource (name, id, or task family:revision/container).
      type: str
      sample: life-world-os-production-rds (sg-0123456789abcdef0)
    check:
      description: The rule that failed.
      type: str
      sample: no ingress from the internet
    detail:
      description: What was seen.
      type: str
      sample: admits 0.0.0.0/0 on tcp/5432
    remediation:
      description: How to fix it.
      type: str
      sample: revoke the rule; only a public ALB may admit 0.0.0.0/0, on its listener ports
not_checkable:
  description: Checks that could not be made against this endpoint, with the reason (neither passed nor failed).
  returned: always
  type: list
  elements: dict
  sample: [{"resource": "life-world-os-local-db", "check": "RDS forces SSL", "reason": "..."}]
exceptions:
  description: Checks a documented, deliberate exception answers (neither passed nor failed), with its reason.
  returned: always
  type: list
  elements: dict
  sample: [{"resource": "p/production/jwt-secret", "check": "secret rotation", "reason": "..."}]
checked:
  description: How many resources of each kind were read.
  returned: always
  type: dict
  sample: {"security_groups": 4, "iam_roles": 4, "db_instances": 1, "listeners": 2, "task_definitions": 2,
           "services": 2, "log_groups": 5, "secrets": 3, "kms_keys": 3, "trails": 1}
report:
  description: One line per finding, then one per check not checkable here, then one per documented exception.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils import contract
from ansible_collections.lifeworld.production.plugins.module_utils import hardening
from ansible_collections.lifeworld.production.plugins.module_utils import hardening_describe as describe
from ansible_collections.lifeworld.production.plugins.module_utils import hardening_logging
from ansible_collections.lifeworld.production.plugins.module_utils import hardening_network
from ansible_collections.lifeworld.production.plugins.module_utils.hardening_describe import AnsibleHardeningError


def _defaults(params):
    prefix = params["name_prefix"]
    names = contract.names(prefix)
    derived = {
        "vpc_name": names["vpc"],
        "security_group_names": {part: names["sg_" + part] for part in ("alb", "ecs", "rds", "client_vpn")},
        "iam_role_names": [names[k] for k in ("role_ecs_task_execution", "role_ecs_task", "role_rds_monitoring", "flow_logs")],
        "iam_wildcard_resource_actions": list(hardening.AWS_WILDCARD_RESOURCE_ACTIONS),
        "rds_instance": names["db_instance"],
        "load_balancer_name": names["alb"],
        "ecs_cluster": names["ecs_cluster"],
        "ecs_task_families": [names["task_family_backend"], names["task_family_frontend"]],
        "log_group_names": [names["log_group_backend"], names["log_group_frontend"]],
        "kms_aliases": [names[k] for k in ("kms_rds", "kms_secrets", "kms_logs")],
        "trail_name": names["trail"],
        "waf_web_acl_name": names["waf_web_acl"],
    }
    settings = {key: params[key] if params.get(key) is not None else value for key, value in derived.items()}
    # Names given without the Client VPN group's keep the contract's for it (read in client_vpn mode only).
    settings["security_group_names"] = dict({"client_vpn": names["sg_client_vpn"]}, **settings["security_group_names"])
    settings["log_group_prefixes"] = params["log_group_prefixes"] or [
        names["log_group_backend"].rsplit("/", 1)[0] + "/", "/aws/rds/instance/%s/" % settings["rds_instance"],
        names["flow_logs"], names["client_vpn_log_group"], names["waf_log_group"]]
    return dict(params, **settings)


def _network(module, p, checked):
    ec2 = module.client("ec2")
    vpc_id = describe.find_vpc_id(ec2, p["vpc_name"])
    if vpc_id is None:
        return [hardening.finding(p["vpc_name"], "VPC exists", "no VPC tagged Name=%s" % p["vpc_name"],
                                  "run site.yml --tags network")]
    groups = describe.security_groups(ec2, vpc_id)
    checked["security_groups"] = len(groups)
    prefix_lists = describe.prefix_list_ids(ec2, p["alb_prefix_list_names"])
    return hardening_network.check_security_groups(
        groups, p["security_group_names"], p["alb_allowed_cidrs"], p["alb_public"], p["alb_ports"], p["rds_port"],
        p["migration_cidrs"], client_vpn=p["client_vpn"], alb_prefix_lists=prefix_lists,
        migration_window=p["migration_window"])


def _iam(module, p, checked):
    iam = module.client("iam")
    roles = [role for role in (describe.iam_role(iam, name) for name in p["iam_role_names"]) if role]
    checked["iam_roles"] = len(roles)
    return hardening.check_iam_roles(roles, p["iam_role_names"], p["iam_wildcard_resource_actions"])


def _rds(module, p, checked):
    rds = module.client("rds")
    instances = describe.db_instances(rds, p["rds_instance"])
    groups = sorted({g["DBParameterGroupName"] for i in instances for g in i.get("DBParameterGroups") or []})
    parameters = {}
    for group in groups:
        found = describe.db_parameters(rds, group)
        if found is not None:
            parameters[group] = found
    checked["db_instances"] = len(instances)
    # The secret RDS keeps (and rotates) the master password in, for the secrets check.
    primary = [i for i in instances if i["DBInstanceIdentifier"] == p["rds_instance"]]
    p["rds_master_secret_arn"] = ((primary[0] if primary else {}).get("MasterUserSecret") or {}).get("SecretArn")
    return hardening.check_rds(instances, p["rds_instance"], parameters, p["rds_multi_az"],
                               p["rds_min_backup_retention_days"], p["rds_log_exports"], p["production"])


def _load_balancer(module, p, checked):
    elbv2 = module.client("elbv2")
    balancer = describe.load_balancer(elbv2, p["load_balancer_name"])
    listeners, rules, attributes, policies = [], {}, {}, {}
    if balancer:
        listeners = describe.listeners(elbv2, balancer["LoadBalancerArn"])
        attributes = describe.load_balancer_attributes(elbv2, balancer["LoadBalancerArn"])
        for listener in listeners:
            if listener.get("Protocol") == "HTTP":
                rules[listener["ListenerArn"]] = describe.listener_rules(elbv2, listener["ListenerArn"])
            if listener.get("SslPolicy") and listener["SslPolicy"] not in policies:
                policy = describe.ssl_policy(elbv2, listener["SslPolicy"])
                if policy:
                    policies[listener["SslPolicy"]] = policy
    checked["listeners"] = len(listeners)
    return hardening.check_load_balancer(balancer, p["load_balancer_name"], listeners, rules, attributes, policies,
                                         p["alb_deletion_protection"])


def _ecs(module, p, checked):
    ecs = module.client("ecs")
    services = describe.ecs_services(ecs, p["ecs_cluster"])
    definitions = {}
    for reference in p["ecs_task_families"] + [s["taskDefinition"] for s in services if s.get("taskDefinition")]:
        found = describe.task_definition(ecs, reference)
        if found:
            definitions[found["taskDefinitionArn"]] = found
    checked["task_definitions"] = len(definitions)
    checked["services"] = len(services)
    return hardening.check_ecs(list(definitions.values()), p["ecs_task_families"], services)


def _log_groups(module, p, checked):
    logs = module.client("logs")
    groups = {}
    for prefix in p["log_group_prefixes"]:
        for group in describe.log_groups(logs, prefix):
            groups[group["logGroupName"]] = group
    checked["log_groups"] = len(groups)
    return hardening.check_log_groups(list(groups.values()), p["log_group_names"])


def _secrets_and_keys(module, p, checked):
    kms = module.client("kms")
    secretsmanager = module.client("secretsmanager")
    keys = {alias: describe.kms_key(kms, alias) for alias in p["kms_aliases"]}
    secrets = {name: describe.secret(secretsmanager, name) for name in p["secret_names"]}
    rds_master = describe.secret(secretsmanager, p["rds_master_secret_arn"]) if p.get("rds_master_secret_arn") else None
    managers = {}
    for key in keys.values():
        if key:
            managers[key["KeyMetadata"]["KeyId"]] = managers[key["KeyMetadata"]["Arn"]] = key["KeyMetadata"]["KeyManager"]
    for secret in list(secrets.values()) + [rds_master]:
        key_id = (secret or {}).get("KmsKeyId")
        if key_id and key_id not in managers:
            found = describe.kms_key(kms, key_id)
            managers[key_id] = found["KeyMetadata"]["KeyManager"] if found else None
    checked["secrets"] = len([s for s in secrets.values() if s])
    checked["kms_keys"] = len([k for k in keys.values() if k])
    return hardening.check_kms_keys(keys) + hardening.check_secrets(
        secrets, managers, p["secrets_rotation_expected"], p["production"],
        {name: reason for name, reason in p["secrets_rotation_exceptions"].items() if name in secrets}, rds_master)


def _cloudtrail(module, p, checked):
    cloudtrail = module.client("cloudtrail")
    trail = describe.trail(cloudtrail, p["trail_name"])
    checked["trails"] = 1 if trail else 0
    if trail is None:
        return hardening.check_cloudtrail(None, None, p["trail_name"])
    # A shadow trail (one of another home region) is read in its home region.
    home = trail.get("HomeRegion")
    if home and home != module.region:
        cloudtrail = module.client("cloudtrail", region=home)
    s3 = module.client("s3")
    bucket = trail.get("S3BucketName")
    return hardening.check_cloudtrail(trail, describe.trail_status(cloudtrail, trail.get("TrailARN") or p["trail_name"]),
                                      p["trail_name"], describe.bucket_public_access(s3, bucket) if bucket else None,
                                      describe.bucket_policy(s3, bucket) if bucket else None)


def _edge_logging(module, p, checked):
    elbv2, s3, wafv2 = module.client("elbv2"), module.client("s3"), module.client("wafv2")
    out = []
    balancer = describe.load_balancer(elbv2, p["load_balancer_name"])
    if balancer:  # a missing one is _load_balancer's finding
        attributes = describe.load_balancer_attributes(elbv2, balancer["LoadBalancerArn"])
        bucket = attributes.get("access_logs.s3.bucket")
        encryption = hardening_logging.bucket_encryption(s3, bucket) if bucket else None
        public_access = describe.bucket_public_access(s3, bucket) if bucket else None
        out += hardening_logging.check_alb_access_logs(p["load_balancer_name"], attributes, encryption, public_access,
                                                       p["alb_access_logs"])
    acl = hardening_logging.web_acl(wafv2, p["waf_web_acl_name"])
    logging = hardening_logging.waf_logging(wafv2, acl["ARN"]) if acl else None
    checked["web_acls"] = 1 if acl else 0
    return out + hardening_logging.check_waf_logging(p["waf_web_acl_name"], acl, logging, p["waf_expected"],
                                                     p["waf_redacted_headers"])


CHECKS = (_network, _iam, _rds, _load_balancer, _ecs, _log_groups, _secrets_and_keys, _cloudtrail, _edge_logging)


def main():
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        vpc_name=dict(type="str"),
        security_group_names=dict(type="dict"),
        alb_allowed_cidrs=dict(type="list", elements="str", default=[]),
        alb_public=dict(type="bool", default=False),
        alb_ports=dict(type="list", elements="int", default=[443, 80]),
        rds_port=dict(type="int", default=5432),
        migration_cidrs=dict(type="list", elements="str", default=[]),
        migration_window=dict(type="bool", default=False),
        client_vpn=dict(type="bool", default=False),
        alb_prefix_list_names=dict(type="list", elements="str", default=[]),
        iam_role_names=dict(type="list", elements="str"),
        iam_wildcard_resource_actions=dict(type="list", elements="str"),
        rds_instance=dict(type="str"),
        rds_multi_az=dict(type="bool", default=True),
        rds_min_backup_retention_days=dict(type="int", default=hardening.PLAN_MIN_BACKUP_RETENTION_DAYS),
        production=dict(type="bool", default=False),
        rds_log_exports=dict(type="list", elements="str", default=[]),
        load_balancer_name=dict(type="str"),
        alb_deletion_protection=dict(type="bool", default=True),
        alb_access_logs=dict(type="bool", default=True),
        waf_web_acl_name=dict(type="str"),
        waf_expected=dict(type="bool", default=False),
        waf_redacted_headers=dict(type="list", elements="str", default=["authorization", "cookie"], no_log=False),
        ecs_cluster=dict(type="str"),
        ecs_task_families=dict(type="list", elements="str"),
        log_group_prefixes=dict(type="list", elements="str"),
        log_group_names=dict(type="list", elements="str"),
        # Names of secrets, never values.
        secret_names=dict(type="list", elements="str", default=[], no_log=False),
        secrets_rotation_expected=dict(type="list", elements="str", default=[], no_log=False),
        secrets_rotation_exceptions=dict(type="dict", default={}, no_log=False),
        kms_aliases=dict(type="list", elements="str"),
        trail_name=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = _defaults(module.params)
    missing = sorted({"alb", "ecs", "rds"} - set(params["security_group_names"]))
    if missing:
        module.fail_json(msg="security_group_names needs the keys alb, ecs and rds; missing: %s" % ", ".join(missing))
    both = sorted(set(params["secrets_rotation_expected"]) & set(params["secrets_rotation_exceptions"]))
    if both:
        module.fail_json(msg="a secret cannot both be expected to rotate and be an exception: %s" % ", ".join(both))
    unknown_rotation = sorted(set(params["secrets_rotation_expected"]) - set(params["secret_names"]))
    if unknown_rotation:
        module.fail_json(msg="secrets_rotation_expected names secrets not in secret_names: %s" % ", ".join(unknown_rotation))

    checked, entries = {}, []
    try:
        for check in CHECKS:
            entries += check(module, params, checked)
    except AnsibleHardeningError as e:
        module.fail_json_aws_error(e)
    findings, unknown = hardening.split(entries)
    accepted = hardening.exceptions(entries)
    module.exit_json(changed=False, findings=findings, not_checkable=unknown, exceptions=accepted, checked=checked,
                     report=hardening.table(findings, unknown, accepted))


if __name__ == "__main__":
    main()
