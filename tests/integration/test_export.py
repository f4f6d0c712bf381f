# -*- coding: utf-8 -*-
"""playbooks/export.yml: the JSON written for review is what the roles built in the emulator.

Every exported document is compared with what boto3 reads back from the site build (placeholders resolved to the
ids the emulator gave): task definitions, services, auto scaling, IAM roles and security groups. A changed
inventory variable changes the export, and the changed export no longer matches the account: the comparison
catches drift between what is reviewed and what is applied.
"""

import json
import re
import shutil

import pytest

from .harness import SITE_GROUP, api_calls_seen, run_playbook

# The modules sharing one site build run on one xdist worker, one after the other. The first test may have to
# wait for that build: on a loaded 2-core machine it took 28 minutes, past pytest.ini's 30-minute default once the
# export runs were added.
pytestmark = [pytest.mark.xdist_group(SITE_GROUP), pytest.mark.timeout(3600)]

PREFIX = "life-world-os-local"
SUFFIX = "local"
SERVICES = ("backend", "frontend")
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)(?::([^}]*))?\}")
# Inventory changes a reviewer would see: a bigger backend task, another client range on the ALB.
CHANGES = {"ecs_backend_memory": 2048,
           "security_groups_allowed_cidrs": ["203.0.113.0/24", "198.51.100.7/32", "192.0.2.99/32"]}
EXPECTED_FILES = sorted(
    ["ecs/%s/%s-%s.json" % (folder, service, SUFFIX) for folder in ("task-definitions", "services", "autoscaling")
     for service in SERVICES]
    + ["iam/%s-role.json" % role for role in ("ecs-task-execution", "ecs-task", "rds-monitoring")]
    + ["security-groups/%s-%s.json" % (group, SUFFIX) for group in ("alb", "ecs", "rds")])

_EXPORTS = {}


class Resolver:
    """Turns the export's ${kind:name} placeholders into the ids the emulator gave, by name, with boto3."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.cache = {}

    def _lookup(self, kind, name):
        client = self.emulator.client
        if kind == "aws_account_id":
            return client("sts").get_caller_identity()["Account"]
        if kind == "iam_role_arn":
            return client("iam").get_role(RoleName=name)["Role"]["Arn"]
        if kind == "secret_arn":
            return client("secretsmanager").describe_secret(SecretId=name)["ARN"]
        if kind == "rds_master_secret_arn":
            instance = client("rds").describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
            return instance["MasterUserSecret"]["SecretArn"]
        if kind == "security_group_id":
            groups = client("ec2").describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [name]}])
            return groups["SecurityGroups"][0]["GroupId"]
        if kind == "vpc_id":
            return client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"][0]["VpcId"]
        if kind == "subnet_ids":
            subnets = client("ec2").describe_subnets(Filters=[{"Name": "tag:Tier", "Values": [name]}, {
                "Name": "vpc-id", "Values": [self.resolve("${vpc_id:%s-vpc}" % PREFIX)]}])["Subnets"]
            return sorted(s["SubnetId"] for s in subnets)
        if kind == "target_group_arn":
            return client("elbv2").describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        if kind == "service_discovery_arn":
            services = client("servicediscovery").list_services()["Services"]
            return [s["Arn"] for s in services if s["Name"] == name][0]
        if kind == "kms_key_arn":
            return client("kms").describe_key(KeyId=name)["KeyMetadata"]["Arn"]
        raise AssertionError("the export has a placeholder of an unknown kind: %s" % kind)

    def _value(self, kind, name):
        if (kind, name) not in self.cache:
            self.cache[(kind, name)] = self._lookup(kind, name)
        return self.cache[(kind, name)]

    def resolve(self, document):
        if isinstance(document, dict):
            return {key: self.resolve(value) for key, value in document.items()}
        if isinstance(document, list):
            resolved = []
            for value in document:
                match = PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
                if match and match.group(1) == "subnet_ids":  # one placeholder stands for the tier's subnets
                    resolved += self._value(*match.groups())
                else:
                    resolved.append(self.resolve(value))
            return resolved
        if isinstance(document, str):
            return PLACEHOLDER.sub(lambda m: self._value(m.group(1), m.group(2)), document)
        return document


def _differences(expected, actual, path=""):
    """Where ``actual`` (what AWS shows) does not hold ``expected`` (the export): every exported key and list
    item must be there with the same value; AWS may add keys of its own (defaults it fills in)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return ["%s: exported %r, AWS has %r" % (path, expected, actual)]
        found = []
        for key, value in expected.items():
            if key not in actual:
                found.append("%s.%s: exported %r, AWS has nothing" % (path, key, value))
            else:
                found += _differences(value, actual[key], "%s.%s" % (path, key))
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return ["%s: exported %r, AWS has %r" % (path, expected, actual)]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual)):
            found += _differences(left, right, "%s[%d]" % (path, index))
        return found
    return [] if expected == actual else ["%s: exported %r, AWS has %r" % (path, expected, actual)]


def _permissions(permissions):
    """IpPermissions as a set of (protocol, from, to, source, description): the grouping AWS uses does not matter."""
    rules = set()
    for permission in permissions:
        ports = (permission["IpProtocol"], permission.get("FromPort"), permission.get("ToPort"))
        for entry in permission.get("IpRanges", []):
            rules.add(ports + (entry["CidrIp"], entry.get("Description", "")))
        for entry in permission.get("Ipv6Ranges", []):
            rules.add(ports + (entry["CidrIpv6"], entry.get("Description", "")))
        for entry in permission.get("UserIdGroupPairs", []):
            rules.add(ports + (entry["GroupId"], entry.get("Description", "")))
    return rules


def _tags(tags):
    return {(t.get("Key", t.get("key")), t.get("Value", t.get("value"))) for t in tags or []}


def mismatches(emulator, export_dir):
    """Every difference between the exported files and the emulator's resources; empty when they agree."""
    resolver, found = Resolver(emulator), []

    def read(path):
        return resolver.resolve(json.loads((export_dir / path).read_text()))

    ecs = emulator.client("ecs")
    scaling = emulator.client("application-autoscaling")
    for name in SERVICES:
        exported = read("ecs/services/%s-%s.json" % (name, SUFFIX))
        actual = ecs.describe_services(cluster=exported["cluster"], services=[name], include=["TAGS"])["services"][0]
        # The export names the cluster and family; AWS shows ARNs, the service its current revision.
        actual = dict(actual, cluster=actual["clusterArn"].rsplit("/", 1)[-1],
                      taskDefinition=actual["taskDefinition"].rsplit("/", 1)[-1].split(":")[0])
        vpc = actual["networkConfiguration"]["awsvpcConfiguration"]
        vpc["subnets"] = sorted(vpc["subnets"])
        found += ["service %s: tags differ" % name] if _tags(exported.pop("tags")) != _tags(actual.get("tags")) else []
        found += ["service %s%s" % (name, d) for d in _differences(exported, actual)]

        exported = read("ecs/task-definitions/%s-%s.json" % (name, SUFFIX))
        running = ecs.describe_services(cluster=PREFIX, services=[name])["services"][0]["taskDefinition"]
        actual = ecs.describe_task_definition(taskDefinition=running)["taskDefinition"]
        found += ["task definition %s%s" % (name, d) for d in _differences(exported, actual)]

        exported = read("ecs/autoscaling/%s-%s.json" % (name, SUFFIX))
        resource = exported["scalableTarget"]["ResourceId"]
        targets = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])["ScalableTargets"]
        found += ["scalable target %s%s" % (name, d) for d in _differences(exported["scalableTarget"], (targets or [{}])[0])]
        policies = {p["PolicyName"]: p for p in scaling.describe_scaling_policies(
            ServiceNamespace="ecs", ResourceId=resource)["ScalingPolicies"] if p["ResourceId"] == resource}
        if sorted(policies) != sorted(p["PolicyName"] for p in exported["scalingPolicies"]):
            found.append("scaling policies of %s: exported %s, AWS has %s" % (
                name, sorted(p["PolicyName"] for p in exported["scalingPolicies"]), sorted(policies)))
        for policy in exported["scalingPolicies"]:
            found += ["scaling policy %s%s" % (policy["PolicyName"], d)
                      for d in _differences(policy, policies.get(policy["PolicyName"], {}))]

    iam = emulator.client("iam")
    for short in ("ecs-task-execution", "ecs-task", "rds-monitoring"):
        exported = read("iam/%s-role.json" % short)
        role_name = exported["RoleName"]
        role = iam.get_role(RoleName=role_name)["Role"]
        actual = {
            "RoleName": role["RoleName"],
            "Description": role.get("Description"),
            "AssumeRolePolicyDocument": role["AssumeRolePolicyDocument"],
            "ManagedPolicyArns": sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(
                RoleName=role_name)["AttachedPolicies"]),
            "InlinePolicies": {policy: iam.get_role_policy(RoleName=role_name, PolicyName=policy)["PolicyDocument"]
                               for policy in iam.list_role_policies(RoleName=role_name)["PolicyNames"]},
        }
        exported["ManagedPolicyArns"] = sorted(exported["ManagedPolicyArns"])
        if _tags(exported.pop("Tags")) != _tags(iam.list_role_tags(RoleName=role_name)["Tags"]):
            found.append("role %s: tags differ" % role_name)
        if sorted(exported["InlinePolicies"]) != sorted(actual["InlinePolicies"]):
            found.append("role %s: inline policies exported %s, AWS has %s" % (
                role_name, sorted(exported["InlinePolicies"]), sorted(actual["InlinePolicies"])))
        found += ["role %s%s" % (role_name, d) for d in _differences(exported, actual)]

    ec2 = emulator.client("ec2")
    for short in ("alb", "ecs", "rds"):
        exported = read("security-groups/%s-%s.json" % (short, SUFFIX))
        group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [exported["GroupName"]]}])[
            "SecurityGroups"][0]
        for key in ("GroupName", "Description", "VpcId"):
            if exported[key] != group[key]:
                found.append("group %s.%s: exported %r, AWS has %r" % (short, key, exported[key], group[key]))
        for key in ("IpPermissions", "IpPermissionsEgress"):
            want, have = _permissions(exported[key]), _permissions(group[key])
            if want != have:
                found.append("group %s.%s: only exported %s; only in AWS %s" % (
                    short, key, sorted(want - have), sorted(have - want)))
        if _tags(exported["Tags"]) != _tags(group.get("Tags")):
            found.append("group %s: tags differ" % short)
    return found


def _export(emulator, export_dir, **kwargs):
    return run_playbook(emulator, "playbooks/export.yml", extra_vars=dict(kwargs.pop("extra_vars", {}),
                                                                          export_dir=str(export_dir)), **kwargs)


@pytest.fixture
def exported(site, tmp_path_factory):
    """The export of the built site (once per build): its directory and the runs made of it."""
    site.build()
    emulator = site.emulator
    key = (emulator.port, emulator.generation)
    if key not in _EXPORTS:
        base = tmp_path_factory.mktemp("export")
        calls_before = api_calls_seen(emulator)
        runs = {"first": _export(emulator, base / "current")}
        runs["api_calls"] = api_calls_seen(emulator) - calls_before
        # A reviewer's change in check mode shows the diff and writes nothing.
        runs["check_changed"] = _export(emulator, base / "current", check=True, diff=True, extra_vars=CHANGES)
        # The same change written over a copy of the first export: only the files it concerns may change.
        shutil.copytree(base / "current", base / "changed")
        runs["changed"] = _export(emulator, base / "changed", extra_vars=CHANGES)
        _EXPORTS[key] = {"dir": base / "current", "changed_dir": base / "changed", "runs": runs}
    return _EXPORTS[key]


def _files(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*.json"))


def test_export_writes_the_plans_layout_without_calling_aws(exported):
    run = exported["runs"]["first"]
    assert run.rc == 0, run.tail()
    assert _files(exported["dir"]) == EXPECTED_FILES
    assert exported["runs"]["api_calls"] == 0, "export.yml called AWS"
    for path in EXPECTED_FILES:
        text = (exported["dir"] / path).read_text()
        # Sorted keys, 2-space indent, a final newline: the bytes depend on the inputs only.
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n", path


def test_exported_definitions_match_what_the_roles_built(site, exported):
    assert mismatches(site.emulator, exported["dir"]) == []


def test_check_mode_shows_a_change_and_writes_nothing(exported):
    run = exported["runs"]["check_changed"]
    assert run.rc == 0, run.tail()
    assert '"memory": "2048"' in run.stdout and "192.0.2.99/32" in run.stdout, run.tail()
    assert '"memory": "512"' in (exported["dir"] / "ecs/task-definitions/backend-local.json").read_text()


def test_a_changed_inventory_changes_only_its_files_and_no_longer_matches_the_account(site, exported):
    run = exported["runs"]["changed"]
    assert run.rc == 0, run.tail()
    # Written over a copy of the first export: every other file came out byte for byte the same (stable output).
    assert "12 files under %s, 2 changed: ecs/task-definitions/backend-local.json, security-groups/alb-local.json" % (
        exported["changed_dir"].resolve()) in " ".join(run.stdout.split()), run.tail()
    differing = [path for path in EXPECTED_FILES
                 if (exported["dir"] / path).read_text() != (exported["changed_dir"] / path).read_text()]
    assert differing == ["ecs/task-definitions/backend-local.json", "security-groups/alb-local.json"]
    found = mismatches(site.emulator, exported["changed_dir"])
    assert any(".memory: exported '2048', AWS has '512'" in f for f in found), found
    assert any("192.0.2.99/32" in f for f in found), found
    assert len(found) == 2, found
