# -*- coding: utf-8 -*-
"""The security tier (KMS keys, IAM roles, security groups), built by real ansible-playbook runs against the
emulator and read back with boto3: convergence, check mode, the security-group graph, and bad input."""

import json

import pytest

from .harness import api_calls_seen, run_playbook
from .tiers import TIERS_GROUP, changed_in_roles, shared_tiers

# Built once for the `tiers` group (tests/integration/tiers.py) with the other tiers' modules collected in the same
# session (then with their tags too: the security groups then live in the network tier's VPC); alone, with
# --tags security on a VPC made with boto3, as before. The client-VPN and single-key tests change the tiers, so the
# module runs after the group's readers (SPOILS_SHARED_SITE, tests/conftest.py) and they spoil the build; the bad
# input runs on the scratch emulator.
pytestmark = pytest.mark.xdist_group(TIERS_GROUP)
TIER_TAGS = "security"
SPOILS_SHARED_SITE = True

PREFIX = "life-world-os-local"
# inventories/local/group_vars/all/security.yml
ALLOWED_CIDRS = {"203.0.113.0/24", "198.51.100.7/32"}
ECS_PORTS = {3001, 80}
ROLES = ("%s-ecs-task-execution" % PREFIX, "%s-ecs-task" % PREFIX, "%s-rds-monitoring" % PREFIX)
ALIASES = ("alias/%s-rds" % PREFIX, "alias/%s-secrets" % PREFIX, "alias/%s-logs" % PREFIX)
INTERNET = {"0.0.0.0/0", "::/0"}


def _vpc(ec2):
    """The network tier's VPC, as network_lookup finds it (Name tag + ManagedBy), made directly: the security
    groups only need a VPC to live in, and building the whole network tier here would double the module's time."""
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]
    ec2.create_tags(Resources=[vpc["VpcId"]], Tags=[{"Key": "Name", "Value": PREFIX + "-vpc"},
                                                    {"Key": "ManagedBy", "Value": "ansible"}])
    return vpc["VpcId"]


def _ours(emulator):
    """Everything of the security tier that exists: aliases, roles, security groups (by name)."""
    aliases = [a["AliasName"] for a in emulator.client("kms").list_aliases()["Aliases"]
               if a["AliasName"].startswith("alias/" + PREFIX)]
    roles = [r["RoleName"] for r in emulator.client("iam").list_roles()["Roles"] if r["RoleName"] in ROLES]
    groups = [g["GroupName"] for g in emulator.client("ec2").describe_security_groups()["SecurityGroups"]
              if g["GroupName"].startswith(PREFIX)]
    linked = sorted(r["Path"] for r in emulator.client("iam").list_roles(PathPrefix="/aws-service-role/")["Roles"])
    return {"aliases": aliases, "roles": roles, "groups": groups, "service_linked": linked}


def _groups(ec2):
    by_name = {}
    for group in ec2.describe_security_groups(
        Filters=[{"Name": "tag:Name", "Values": ["%s-%s" % (PREFIX, t) for t in ("alb", "ecs", "rds")]}]
    )["SecurityGroups"]:
        by_name[group["GroupName"][len(PREFIX) + 1:]] = group
    return by_name


def _rules(ec2, group_id, egress):
    """Flat rules of a group as (protocol, from, to, source) tuples; duplicates are kept so they show."""
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    out = []
    for rule in rules["SecurityGroupRules"]:
        if rule["IsEgress"] != egress:
            continue
        source = (rule.get("CidrIpv4") or rule.get("CidrIpv6") or rule.get("ReferencedGroupInfo", {}).get("GroupId")
                  or rule.get("PrefixListId"))
        out.append((rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), source))
    return sorted(out)


def after_check_on_empty(emulator):
    return {"after_check_empty": _ours(emulator)}


def before_first_run(emulator, tags):
    """Without the network tier in the build, the security groups need a VPC: made directly (_vpc)."""
    if "network" not in tags.split(","):
        _vpc(emulator.client("ec2"))


@pytest.fixture(scope="module")
def tiers(emulator, request):
    return shared_tiers(emulator, request).build()


@pytest.fixture(scope="module")
def security(emulator, tiers):
    """Empty emulator → --check → converge → converge again → --check (the shared tiers build); every run kept."""
    runs = dict(tiers.runs, **tiers.probes[__name__])
    (vpc,) = emulator.client("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-vpc"]}, {"Name": "tag:ManagedBy", "Values": ["ansible"]}]
    )["Vpcs"]
    runs["vpc_id"] = vpc["VpcId"]
    return runs


def test_check_mode_on_empty_account_creates_nothing(security):
    run = security["check_empty"]
    assert run.rc == 0, run.tail()
    assert run.changed >= 2, "check mode should report the keys and roles it would create"
    assert changed_in_roles(run, "kms") and changed_in_roles(run, "iam"), \
        "check mode should report the keys and roles it would create: %s" % run.changed_tasks()
    assert security["after_check_empty"] == {"aliases": [], "roles": [], "groups": [], "service_linked": []}


def test_first_run_converges(security):
    assert security["first"].rc == 0, security["first"].tail()
    assert security["first"].changed > 0
    assert changed_in_roles(security["first"], "kms", "iam", "security_groups"), security["first"].changed_tasks()


def test_service_linked_roles_exist_before_the_tiers_that_use_them(emulator, security):
    # A fresh account's first ECS CreateCluster with capacity providers fails until AWSServiceRoleForECS exists.
    assert _ours(emulator)["service_linked"] == [
        "/aws-service-role/%s/" % service for service in (
            "ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
            "rds.amazonaws.com")
    ]


def test_second_run_reports_no_change(security):
    run = security["second"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "not idempotent: %s" % run.changed_tasks()


def test_check_mode_on_converged_stack_reports_no_change(security):
    run = security["check_converged"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "check mode sees drift on a converged stack: %s" % run.changed_tasks()


def test_security_group_graph(emulator, security):
    """RDS only from ECS (no CIDR: the migration path is the Client VPN's window), ECS only from the ALB, the ALB only from the allowed CIDRs; egress
    only to the next tier; no 0.0.0.0/0 ingress; no duplicate rule after three runs."""
    ec2 = emulator.client("ec2")
    groups = _groups(ec2)
    assert set(groups) == {"alb", "ecs", "rds"}
    assert all(g["VpcId"] == security["vpc_id"] for g in groups.values())
    alb, ecs, rds = (groups[n]["GroupId"] for n in ("alb", "ecs", "rds"))

    assert _rules(ec2, rds, egress=False) == [("tcp", 5432, 5432, ecs)]
    assert _rules(ec2, ecs, egress=False) == sorted(("tcp", p, p, alb) for p in ECS_PORTS)
    assert _rules(ec2, alb, egress=False) == sorted(("tcp", p, p, c) for p in (443, 80) for c in ALLOWED_CIDRS)

    assert _rules(ec2, alb, egress=True) == sorted(("tcp", p, p, ecs) for p in ECS_PORTS)
    assert _rules(ec2, ecs, egress=True) == sorted([("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 5432, 5432, rds)])
    assert _rules(ec2, rds, egress=True) == [], "RDS initiates nothing"

    for name, group_id in (("alb", alb), ("ecs", ecs), ("rds", rds)):
        assert not INTERNET & {r[3] for r in _rules(ec2, group_id, egress=False)}, "%s open to the internet" % name


def test_groups_are_tagged_for_lookup(emulator, security):
    for name, group in _groups(emulator.client("ec2")).items():
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        assert tags["Name"] == "%s-%s" % (PREFIX, name)
        assert tags["Component"] == "security" and tags["ManagedBy"] == "ansible"


def _key_policy(kms, alias):
    key_id = kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    return key_id, json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


# Statements after the admin one, per key: its own service plus the collection's further uses (kms defaults:
# ECR repositories under the secrets key, the alerts topic and its CloudWatch alarms under the logs key).
KEY_USES = {
    ALIASES[0]: ["UseThroughRds"],
    ALIASES[1]: ["UseThroughSecretsmanager", "UseThroughEcr"],
    ALIASES[2]: ["UseThroughSns", "CloudWatchLogsEncryptsOurLogGroups", "CloudTrailEncryptsOurTrails",
                 "CloudTrailDescribesTheKey", "AccountReadsTrailLogs", "ServicePrincipalCloudwatch"],
}


def test_one_rotating_key_per_service_whose_policy_names_its_users(emulator, security):
    kms = emulator.client("kms")
    account = emulator.client("sts").get_caller_identity()["Account"]
    root = {"AWS": "arn:aws:iam::%s:root" % account}
    key_ids = set()
    for alias, uses in KEY_USES.items():
        key_id, policy = _key_policy(kms, alias)
        key_ids.add(key_id)
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True, alias
        admin, *rest = policy["Statement"]
        assert admin["Sid"] == "AccountAdministersTheKey" and admin["Principal"] == root
        assert not [a for a in admin["Action"] if a in ("kms:*", "kms:Create*") or "crypt" in a or "Generate" in a], \
            "the admin statement may not use the key or grant its use: %s" % admin["Action"]
        assert [s["Sid"] for s in rest] == uses, alias
        for statement in rest:
            if statement["Sid"] in ("CloudTrailEncryptsOurTrails", "CloudTrailDescribesTheKey", "AccountReadsTrailLogs"):
                # Only for this account's trails; the conditions in detail: tests/integration/test_audit.py.
                assert ":%s:trail/" % account in json.dumps(statement["Condition"]), statement
            elif statement["Principal"] == root:  # account principals: only through the named service
                service = statement["Sid"][len("UseThrough"):].lower()
                assert statement["Condition"]["StringEquals"] == {
                    "kms:ViaService": "%s.us-east-1.amazonaws.com" % service, "kms:CallerAccount": account}
            elif statement["Sid"] == "CloudWatchLogsEncryptsOurLogGroups":
                assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
                arns = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
                assert "arn:aws:logs:us-east-1:%s:log-group:/ecs/%s/*" % (account, PREFIX) in arns
                assert all(a.startswith("arn:aws:logs:us-east-1:%s:log-group:" % account) for a in arns)
            else:
                assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
                assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert len(key_ids) == 3


def test_roles_trust_only_their_service_in_this_account(emulator, security):
    iam = emulator.client("iam")
    account = emulator.client("sts").get_caller_identity()["Account"]
    services = {ROLES[0]: "ecs-tasks.amazonaws.com", ROLES[1]: "ecs-tasks.amazonaws.com",
                ROLES[2]: "monitoring.rds.amazonaws.com"}
    for role_name, service in services.items():
        role = iam.get_role(RoleName=role_name)["Role"]
        (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": service}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    attached = iam.list_attached_role_policies(RoleName=ROLES[2])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
    for role_name in ROLES[:2]:
        assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    # X-Ray is on in the local inventory: the task role has exactly that statement.
    application = iam.get_role_policy(RoleName=ROLES[1], PolicyName="application")["PolicyDocument"]
    assert [s["Sid"] for s in application["Statement"]] == ["XRayTracesAreAccountWide"]


def test_switching_to_client_vpn_admits_the_endpoint_group_not_the_client_range(emulator, tiers, security):
    """Client VPN source-NATs client traffic to its interfaces: the ALB admits the endpoint's own group, and the old
    CIDRs and the health checkers (internal ALB, no health check) are purged. RDS admits it only during a migration
    window (test_migration_window.py), so a plain build leaves RDS to ECS alone."""
    vpn = "10.99.0.0/22"
    tiers.spoil()  # the switch changes the shared tiers' security groups
    run = run_playbook(emulator, tags="security_groups",
                       extra_vars={"security_groups_access_mode": "client_vpn", "security_groups_client_vpn_cidr": vpn})
    assert run.rc == 0, run.tail()
    ec2 = emulator.client("ec2")
    [endpoint] = ec2.describe_security_groups(
        Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-client-vpn"]}])["SecurityGroups"]
    vpn_group = endpoint["GroupId"]
    groups = _groups(ec2)
    assert _rules(ec2, groups["alb"]["GroupId"], egress=False) == [("tcp", 80, 80, vpn_group), ("tcp", 443, 443, vpn_group)]
    assert _rules(ec2, groups["rds"]["GroupId"], egress=False) == [("tcp", 5432, 5432, groups["ecs"]["GroupId"])]
    assert _rules(ec2, vpn_group, egress=True) == sorted(
        [("tcp", 80, 80, groups["alb"]["GroupId"]), ("tcp", 443, 443, groups["alb"]["GroupId"]),
         ("tcp", 5432, 5432, groups["rds"]["GroupId"])])


def test_single_key_mode_puts_every_alias_on_one_key(emulator, tiers, security):
    """kms_single_key: one key carries the three aliases and the three services' statements; a rerun is quiet.
    Built under another prefix so the per-service keys of the module's stack stay untouched."""
    prefix = "life-world-os-single"
    extra = {"kms_single_key": True, "kms_name_prefix": prefix}
    tiers.spoil()  # three more aliases and a key in the shared tiers' account
    first = run_playbook(emulator, tags="kms", extra_vars=extra)
    second = run_playbook(emulator, tags="kms", extra_vars=extra)
    assert first.rc == 0 and first.changed > 0, first.tail()
    assert second.rc == 0 and second.changed == 0, second.changed_tasks()
    kms = emulator.client("kms")
    targets = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]
               if a["AliasName"].startswith("alias/" + prefix + "-")}
    assert sorted(targets) == ["alias/%s-%s" % (prefix, s) for s in ("logs", "rds", "secrets")]
    assert len(set(targets.values())) == 1
    key_id, policy = _key_policy(kms, "alias/%s-secrets" % prefix)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert [s["Sid"] for s in policy["Statement"]] == [
        "AccountAdministersTheKey", "UseThroughRds", "UseThroughSecretsmanager", "UseThroughEcr", "UseThroughSns",
        "CloudWatchLogsEncryptsOurLogGroups", "CloudTrailEncryptsOurTrails", "CloudTrailDescribesTheKey",
        "AccountReadsTrailLogs", "ServicePrincipalCloudwatch"]


BAD_INPUTS = [
    ({"security_groups_allowed_cidrs": ["0.0.0.0/0"]}, "security_groups_allowed_cidrs[0]"),
    ({"security_groups_allowed_cidrs": ["203.0.113.0/33"]}, "security_groups_allowed_cidrs[0]"),
    ({"security_groups_access_mode": "open_to_all"}, "security_groups_access_mode"),
    ({"security_groups_access_mode": "client_vpn"}, "security_groups_client_vpn_cidr"),
    ({"iam_task_role_statements": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
     "iam_task_role_statements[0]"),
    ({"kms_logs_log_group_patterns": ["*"]}, "kms_logs_log_group_patterns[0]"),
]


@pytest.mark.parametrize("override,variable", BAD_INPUTS, ids=[case[1] for case in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(scratch_emulator, override, variable):
    # On the scratch emulator: the session emulator holds the shared tiers build.
    scratch_emulator.reset()
    calls_before = api_calls_seen(scratch_emulator)
    run = run_playbook(scratch_emulator, tags="security", extra_vars=override)
    assert run.rc != 0
    assert variable in run.stdout, "the failure should name %s:\n%s" % (variable, run.tail())
    assert api_calls_seen(scratch_emulator) == calls_before, "an AWS call was made before validation failed"
    assert _ours(scratch_emulator) == {"aliases": [], "roles": [], "groups": [], "service_linked": []}
