# -*- coding: utf-8 -*-
"""Every IAM policy the collection creates, read back from the emulator after a build, passes parliament with its
community auditors; and the ECS execution role can read exactly the secrets the task definitions reference.

moto 5.2.5 has no iam:SimulatePrincipalPolicy, so the secrets proof evaluates the role's policies here with IAM's
wildcard semantics (`*` any run of characters, `?` exactly one), which fnmatch.fnmatchcase implements for strings
without `[`, against the real ARNs the emulator gave to real secrets.
"""

import fnmatch
import json
import subprocess

import pytest

from .harness import REPO
from .tiers import TIERS_GROUP, shared_tiers

# The tiers are built once for the `tiers` group (tests/integration/tiers.py) with the other tiers' modules collected
# in the same session (then every policy of network,security,audit is linted); alone, network,kms,iam and one run.
pytestmark = pytest.mark.xdist_group(TIERS_GROUP)
TIER_TAGS = "network,kms,iam"
TIER_STEPS = ("first",)

PREFIX = "life-world-os-local"
EXECUTION_ROLE = PREFIX + "-ecs-task-execution"
IAM_LINT = REPO / "scripts" / "iam-lint"
# The names the task definitions reference (iam_execution_secret_names' defaults, docs/CONTRACTS.md).
REFERENCED = ["life-world-os/local/jwt-secret", "life-world-os/local/db-master", "life-world-os/local/api-keys"]
# Secrets that must stay out of reach: near-misses of the referenced names and other environments' secrets.
UNREFERENCED = [
    "life-world-os/local/jwt-secret-old",
    "life-world-os/local/jwt-secret2",
    "life-world-os/local/db-master-replica",
    "life-world-os/local/db",
    "life-world-os/local/other",
    "life-world-os/production/jwt-secret",
    "life-world-os/local/api-keys/extra",
]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _customer_policies(iam):
    """(label, document) for every inline policy of every role and every customer-managed policy."""
    policies = []
    for role in iam.list_roles()["Roles"]:
        if role["Path"].startswith("/aws-service-role/"):
            continue
        name = role["RoleName"]
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            policies.append(("%s/%s" % (name, policy_name), document))
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        policies.append((policy["PolicyName"], version["PolicyVersion"]["Document"]))
    return policies


def _role_documents(iam, role_name):
    """All policy documents that apply to a role: inline and attached (customer or AWS-managed)."""
    documents = [iam.get_role_policy(RoleName=role_name, PolicyName=p)["PolicyDocument"]
                 for p in iam.list_role_policies(RoleName=role_name)["PolicyNames"]]
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        documents.append(version["PolicyVersion"]["Document"])
    return documents


def _allows(documents, action, resource):
    """Identity-policy evaluation for one action and resource: an Allow matches and no Deny does."""
    allowed = False
    for document in documents:
        for statement in _as_list(document["Statement"]):
            assert "NotAction" not in statement and "NotResource" not in statement, statement
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement["Action"])):
                continue
            if any(fnmatch.fnmatchcase(resource, r) for r in _as_list(statement["Resource"])):
                assert "Condition" not in statement, "a condition would need evaluating: %s" % statement
                if statement["Effect"] == "Deny":
                    return False
                allowed = True
    return allowed


def _lint(tmp_path, policies, *flags):
    files = []
    for index, (label, document) in enumerate(policies):
        path = tmp_path / ("%02d-%s.json" % (index, label.replace("/", "__")))
        path.write_text(json.dumps(document, indent=2))
        files.append(str(path))
    return subprocess.run([str(IAM_LINT), *flags, *files], capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def built(emulator, request):
    """Network (its flow-log role) and the keys and roles of the security tier (the shared tiers build's first run),
    then the secrets to test against: on the shared build, which nothing else of the group reads secrets from."""
    run = shared_tiers(emulator, request).build().runs["first"]
    assert run.rc == 0, run.tail()
    secrets = emulator.client("secretsmanager")
    arns = {name: secrets.create_secret(Name=name, SecretString="not-a-real-value")["ARN"]
            for name in REFERENCED + UNREFERENCED}
    return {"run": run, "secret_arns": arns}


def test_every_customer_policy_passes_parliament(emulator, built, tmp_path):
    policies = _customer_policies(emulator.client("iam"))
    labels = {policy[0] for policy in policies}
    # Not vacuous: the policies this build must have created are among those linted.
    assert {EXECUTION_ROLE + "/execution", PREFIX + "-ecs-task/application",
            PREFIX + "-vpc-flow-logs/deliver-flow-logs"} <= labels, labels
    lint = _lint(tmp_path, policies)
    assert lint.returncode == 0 and lint.stdout == "", "parliament findings:\n%s\n%s" % (lint.stdout, lint.stderr)


def test_the_only_accepted_finding_is_the_ecr_login(emulator, built, tmp_path):
    """In --strict mode (nothing accepted) the one finding is ecr:GetAuthorizationToken of the execution role."""
    iam = emulator.client("iam")
    document = iam.get_role_policy(RoleName=EXECUTION_ROLE, PolicyName="execution")["PolicyDocument"]
    lint = _lint(tmp_path, [("execution", document)], "--strict")
    findings = [json.loads(line.split(": ", 1)[1]) for line in lint.stdout.splitlines()]
    assert [(f["issue"], f["location"]["actions"]) for f in findings] == [
        ("CREDENTIALS_EXPOSURE", ["ecr:getauthorizationtoken"])], lint.stdout


def test_the_linter_does_catch_a_broad_policy(tmp_path):
    broad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "ecr:GetAuthorizationToken", "sts:AssumeRole"],
         "Resource": "*"}]}
    lint = _lint(tmp_path, [("broad", broad)])
    assert lint.returncode == 1
    assert "RESOURCE_STAR" in lint.stdout and "CREDENTIALS_EXPOSURE" in lint.stdout, lint.stdout


def test_execution_role_reads_exactly_the_referenced_secrets(emulator, built):
    documents = _role_documents(emulator.client("iam"), EXECUTION_ROLE)
    arns = built["secret_arns"]
    readable = {name for name, arn in arns.items() if _allows(documents, "secretsmanager:GetSecretValue", arn)}
    assert readable == set(REFERENCED)
    # The policy names the secrets one by one: as many resources as referenced secrets, none broader.
    statements = [s for d in documents for s in _as_list(d["Statement"])
                  if any(fnmatch.fnmatchcase("secretsmanager:getsecretvalue", a.lower()) for a in _as_list(s["Action"]))]
    by_name = [s for s in statements if "Condition" not in s]
    resources = [r for s in by_name for r in _as_list(s["Resource"])]
    assert len(resources) == len(REFERENCED)
    assert all(r.endswith("-??????") and "*" not in r for r in resources), resources
    # The secret RDS keeps the master password in is named rds!db-<uuid> by RDS once the instance exists (after
    # this role): the tag RDS puts on it narrows the name pattern to our instance's secret alone.
    account = emulator.client("sts").get_caller_identity()["Account"]
    [managed] = [s for s in statements if "Condition" in s]
    assert managed["Resource"] == "arn:aws:secretsmanager:us-east-1:%s:secret:rds!db-*" % account
    assert managed["Condition"] == {"StringEquals": {
        "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn": "arn:aws:rds:us-east-1:%s:db:%s-db" % (account, PREFIX)}}


def test_execution_role_decrypts_only_with_the_secrets_key_through_secrets_manager(emulator, built):
    kms = emulator.client("kms")
    iam = emulator.client("iam")
    key_arn = kms.describe_key(KeyId="alias/%s-secrets" % PREFIX)["KeyMetadata"]["Arn"]
    document = iam.get_role_policy(RoleName=EXECUTION_ROLE, PolicyName="execution")["PolicyDocument"]
    decrypt = [s for s in document["Statement"] if "kms:Decrypt" in _as_list(s["Action"])]
    assert len(decrypt) == 1
    assert _as_list(decrypt[0]["Resource"]) == [key_arn]
    assert decrypt[0]["Condition"] == {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
