# -*- coding: utf-8 -*-
"""security_hardening_info against moto's in-process mock: a small environment built the way the roles build it
passes; each weakness added behind its back is named; an empty account names what is missing; only read calls
are made, in check mode too."""

import json

import botocore.client
import pytest

from ansible_collections.lifeworld.production.plugins.modules import security_hardening_info as module

PREFIX = "p-test"
SECRETS = ["p/test/jwt-secret", "p/test/db-master"]
ARGS = {"name_prefix": PREFIX, "alb_allowed_cidrs": ["203.0.113.0/24"],
        "rds_log_exports": ["postgresql"], "secret_names": SECRETS, "kms_aliases": ["alias/%s-secrets" % PREFIX]}
BUCKET = PREFIX + "-123456789012-alb-logs"
WAF_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-" + PREFIX
TRUST = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]})


def _tcp(port, cidrs=(), groups=()):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": c} for c in cidrs],
            "UserIdGroupPairs": [{"GroupId": g} for g in groups]}


def _build(session):
    """The environment in miniature, with the roles' settings."""
    ec2, kms = session.client("ec2"), session.client("kms")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": PREFIX + "-vpc"}])
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((0, "a"), (1, "b"))]
    ids = {}
    for part in ("alb", "ecs", "rds"):
        ids[part] = ec2.create_security_group(GroupName="%s-%s" % (PREFIX, part), Description=part, VpcId=vpc,
                                              TagSpecifications=[{"ResourceType": "security-group", "Tags": [
                                                  {"Key": "Name", "Value": "%s-%s" % (PREFIX, part)}]}])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ids["alb"], IpPermissions=[_tcp(443, ["203.0.113.0/24"]),
                                                                            _tcp(80, ["203.0.113.0/24"])])
    ec2.authorize_security_group_ingress(GroupId=ids["ecs"], IpPermissions=[_tcp(3001, groups=[ids["alb"]])])
    ec2.authorize_security_group_ingress(GroupId=ids["rds"], IpPermissions=[_tcp(5432, groups=[ids["ecs"]])])

    key = kms.create_key(Description="secrets")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/%s-secrets" % PREFIX, TargetKeyId=key["KeyId"])

    iam = session.client("iam")
    for role in ("ecs-task-execution", "ecs-task", "rds-monitoring", "vpc-flow-logs"):
        iam.create_role(RoleName="%s-%s" % (PREFIX, role), AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=PREFIX + "-ecs-task-execution", PolicyName="execution", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:p/test/*"}]}))

    secretsmanager = session.client("secretsmanager")
    for name in SECRETS:
        secretsmanager.create_secret(Name=name, SecretString="not-a-real-value", KmsKeyId=key["Arn"])

    rds = session.client("rds")
    rds.create_db_parameter_group(DBParameterGroupName=PREFIX + "-pg16", DBParameterGroupFamily="postgres16",
                                  Description="pg")
    rds.modify_db_parameter_group(DBParameterGroupName=PREFIX + "-pg16", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])
    rds.create_db_subnet_group(DBSubnetGroupName=PREFIX + "-db", DBSubnetGroupDescription="db", SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier=PREFIX + "-db", Engine="postgres", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="not-a-real-value",
                           StorageEncrypted=True, KmsKeyId=key["Arn"], MultiAZ=True, PubliclyAccessible=False,
                           DeletionProtection=True, BackupRetentionPeriod=7, DBSubnetGroupName=PREFIX + "-db",
                           DBParameterGroupName=PREFIX + "-pg16", VpcSecurityGroupIds=[ids["rds"]],
                           EnableCloudwatchLogsExports=["postgresql"])

    elbv2 = session.client("elbv2")
    lb = elbv2.create_load_balancer(Name=PREFIX + "-alb", Subnets=subnets, SecurityGroups=[ids["alb"]])[
        "LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    target_group = elbv2.create_target_group(Name=PREFIX + "-be", Protocol="HTTP", Port=3001, VpcId=vpc,
                                             TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    certificate = session.client("acm").request_certificate(DomainName="local.example.com")["CertificateArn"]
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTPS", Port=443, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                          Certificates=[{"CertificateArn": certificate}],
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}])

    _edge_logging(session, lb)

    logs = session.client("logs")
    for name in ("backend", "frontend"):
        group = "/ecs/%s/%s" % (PREFIX, name)
        logs.create_log_group(logGroupName=group, kmsKeyId=key["Arn"])
        logs.put_retention_policy(logGroupName=group, retentionInDays=30)

    ecs = session.client("ecs")
    ecs.create_cluster(clusterName=PREFIX)
    for name in ("backend", "frontend"):
        ecs.register_task_definition(family="%s-%s" % (PREFIX, name), requiresCompatibilities=["FARGATE"],
                                     networkMode="awsvpc", cpu="256", memory="512", containerDefinitions=[
                                         {"name": name, "image": "x", "user": "1000", "readonlyRootFilesystem": True,
                                          "environment": [{"name": "NODE_ENV", "value": "production"}],
                                          "logConfiguration": {"logDriver": "awslogs", "options": {
                                              "awslogs-group": "/ecs/%s/%s" % (PREFIX, name)}}}])
    ecs.create_service(cluster=PREFIX, serviceName="backend", taskDefinition=PREFIX + "-backend", desiredCount=1,
                       launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                           "subnets": subnets, "securityGroups": [ids["ecs"]], "assignPublicIp": "DISABLED"}})
    _trail(session, key["Arn"])
    return ids


TRAIL = PREFIX + "-trail"
TRAIL_BUCKET = PREFIX + "-cloudtrail-123456789012"


def _trail(session, key_arn):
    """The audit trail as roles/cloudtrail builds it: multi-region, log files validated, KMS-encrypted, copied to
    CloudWatch Logs, logging, into a bucket that blocks public access and admits only this trail."""
    s3, logs, iam = session.client("s3"), session.client("logs"), session.client("iam")
    trail_arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/" + TRAIL
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    s3.put_public_access_block(Bucket=TRAIL_BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    only_this_trail = {"StringEquals": {"aws:SourceArn": trail_arn}}
    s3.put_bucket_policy(Bucket=TRAIL_BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::" + TRAIL_BUCKET, "Condition": only_this_trail},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::%s/AWSLogs/*" % TRAIL_BUCKET,
         "Condition": only_this_trail}]}))
    logs.create_log_group(logGroupName="/aws/cloudtrail/" + PREFIX)
    group_arn = logs.describe_log_groups(logGroupNamePrefix="/aws/cloudtrail/" + PREFIX)["logGroups"][0]["arn"]
    role_arn = iam.create_role(RoleName=PREFIX + "-cloudtrail", AssumeRolePolicyDocument=json.dumps(
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    cloudtrail = session.client("cloudtrail")
    cloudtrail.create_trail(Name=TRAIL, S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True, KmsKeyId=key_arn, IncludeGlobalServiceEvents=True,
                            CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=role_arn)
    cloudtrail.start_logging(Name=TRAIL)


def _edge_logging(session, lb):
    """Access logs to an SSE-S3, private bucket; a web ACL logging to aws-waf-logs-<prefix> with secrets redacted."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    session.client("elbv2").modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": BUCKET},
        {"Key": "access_logs.s3.prefix", "Value": "alb"}])
    wafv2 = session.client("wafv2")
    acl = wafv2.create_web_acl(Name=PREFIX + "-web-acl", Scope="REGIONAL", DefaultAction={"Allow": {}},
                               VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                                 "MetricName": "acl"})["Summary"]["ARN"]
    wafv2.put_logging_configuration(LoggingConfiguration={
        "ResourceArn": acl, "LogDestinationConfigs": [WAF_GROUP],
        "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"SingleHeader": {"Name": "cookie"}}]})


@pytest.fixture
def calls(monkeypatch):
    """The AWS operations the module makes."""
    seen = []
    original = botocore.client.BaseClient._make_api_call

    def record(self, operation, params):
        seen.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    return seen


def _pairs(result):
    return [(f["resource"], f["check"]) for f in result["findings"]]


def test_environment_built_like_the_roles_passes_with_read_calls_only(aws, run_module, calls):
    _build(aws)
    del calls[:]
    result = run_module(module, ARGS)
    assert not result.get("failed"), result
    assert result["changed"] is False
    assert result["findings"] == [], result["report"]
    assert result["checked"]["security_groups"] == 4 and result["checked"]["iam_roles"] == 4
    assert result["checked"]["task_definitions"] == 2 and result["checked"]["services"] == 1
    assert result["checked"]["secrets"] == 2 and result["checked"]["listeners"] == 2
    assert result["checked"]["trails"] == 1
    assert result["checked"]["web_acls"] == 1
    assert calls and all(op.startswith(("Describe", "Get", "List")) for op in calls), sorted(set(calls))


def test_weaknesses_added_behind_its_back_are_named(aws, run_module):
    ids = _build(aws)
    aws.client("ec2").authorize_security_group_ingress(GroupId=ids["rds"], IpPermissions=[_tcp(5432, ["0.0.0.0/0"])])
    aws.client("iam").put_role_policy(RoleName=PREFIX + "-ecs-task", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    aws.client("logs").delete_retention_policy(logGroupName="/ecs/%s/backend" % PREFIX)
    aws.client("ecs").register_task_definition(
        family=PREFIX + "-frontend", containerDefinitions=[
            {"name": "frontend", "image": "x", "user": "1000", "readonlyRootFilesystem": True, "memory": 512,
             "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
             "logConfiguration": {"logDriver": "awslogs", "options": {}}}])

    result = run_module(module, ARGS, check_mode=True)

    pairs = _pairs(result)
    assert ("%s-rds (%s)" % (PREFIX, ids["rds"]), "no ingress from the internet") in pairs
    assert ("%s-ecs-task:everything[0]" % PREFIX, "IAM names its actions") in pairs
    assert ("%s-ecs-task:everything[0]" % PREFIX, "IAM names its resources") in pairs
    assert ("/ecs/%s/backend" % PREFIX, "log group retention set") in pairs
    assert ("%s-frontend:2/frontend" % PREFIX, "no secret in plain environment") in pairs
    assert len(pairs) == 5, result["report"]
    assert "hunter2" not in json.dumps(result)
    assert any(line.startswith("FINDING  /ecs/%s/backend | log group retention set" % PREFIX) for line in result["report"])


def test_a_weakened_trail_is_named_check_by_check(aws, run_module):
    """Logging stopped, one region only, no log-file validation, and the bucket's policy and public access block
    gone: each is a finding of its own; nothing else is."""
    _build(aws)
    cloudtrail, s3 = aws.client("cloudtrail"), aws.client("s3")
    cloudtrail.stop_logging(Name=TRAIL)
    cloudtrail.update_trail(Name=TRAIL, IsMultiRegionTrail=False, EnableLogFileValidation=False)
    s3.delete_bucket_policy(Bucket=TRAIL_BUCKET)
    s3.delete_public_access_block(Bucket=TRAIL_BUCKET)

    result = run_module(module, ARGS)

    assert sorted(_pairs(result)) == sorted([
        (TRAIL, "trail is multi-region"), (TRAIL, "trail log-file validation"), (TRAIL, "trail is logging"),
        (TRAIL_BUCKET, "trail bucket blocks public access"), (TRAIL_BUCKET, "trail bucket policy")]), result["report"]
    assert "FINDING  %s | trail is logging | logging is stopped | fix: rerun --tags audit (StartLogging)" % TRAIL in result["report"]


def test_access_logs_off_or_to_an_sse_kms_bucket_and_waf_logging_off_are_named(aws, run_module):
    _build(aws)
    elbv2 = aws.client("elbv2")
    lb = elbv2.describe_load_balancers(Names=[PREFIX + "-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}])
    wafv2 = aws.client("wafv2")
    acl = wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"][0]["ARN"]
    wafv2.delete_logging_configuration(ResourceArn=acl)

    assert sorted(_pairs(run_module(module, ARGS))) == [
        (PREFIX + "-alb", "ALB access logs on"), (PREFIX + "-web-acl", "WAF logging on")]

    # Logging back on, but to a bucket ELB cannot deliver to (SSE-KMS) and without the cookie redacted.
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "true"}])
    aws.client("s3").put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    wafv2.put_logging_configuration(LoggingConfiguration={"ResourceArn": acl, "LogDestinationConfigs": [WAF_GROUP],
                                                          "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}]})
    result = run_module(module, ARGS)
    assert sorted(_pairs(result)) == [(BUCKET, "access-log bucket encrypted"), (PREFIX + "-web-acl", "WAF logs redact credentials")]
    assert any("cookie" in f["detail"] for f in result["findings"])


def test_a_missing_web_acl_is_a_finding_only_where_the_inventory_builds_one(aws, run_module):
    _build(aws)
    wafv2 = aws.client("wafv2")
    summary = wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"][0]
    wafv2.delete_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], LockToken=summary["LockToken"])
    assert run_module(module, ARGS)["findings"] == []
    assert _pairs(run_module(module, dict(ARGS, waf_expected=True))) == [(PREFIX + "-web-acl", "web ACL exists")]


def test_plan_minimums_hold_whatever_the_inventory_asks(aws, run_module):
    _build(aws)
    rds = aws.client("rds")
    rds.modify_db_instance(DBInstanceIdentifier=PREFIX + "-db", MultiAZ=False, BackupRetentionPeriod=3, ApplyImmediately=True)
    # An inventory that asks for one day of backups and no Multi-AZ, in production, without a rotation function
    # (the JWT secret's rotation a documented exception).
    lowered = dict(ARGS, rds_min_backup_retention_days=1, rds_multi_az=False, production=True,
                   secrets_rotation_exceptions={"p/test/jwt-secret": "one signing key"})
    result = run_module(module, lowered)
    assert sorted(_pairs(result)) == [
        (PREFIX + "-db", "RDS Multi-AZ"), (PREFIX + "-db", "RDS backups kept"), ("p/test/db-master", "secret rotation")]
    assert result["exceptions"] == [{"resource": "p/test/jwt-secret", "check": "secret rotation",
                                     "reason": "one signing key"}]
    # Outside production single-AZ and no rotation may be the inventory's choice; 3 days of backups never is.
    elsewhere = dict(lowered, production=False)
    assert _pairs(run_module(module, elsewhere)) == [(PREFIX + "-db", "RDS backups kept")]
    # The inventory may raise the bar: 7 days kept, 14 asked for.
    rds.modify_db_instance(DBInstanceIdentifier=PREFIX + "-db", BackupRetentionPeriod=7, ApplyImmediately=True)
    assert run_module(module, elsewhere)["findings"] == []
    assert _pairs(run_module(module, dict(elsewhere, rds_min_backup_retention_days=14))) == [(PREFIX + "-db", "RDS backups kept")]


def test_real_account_sources_pass_and_a_public_cidr_still_fails(aws, run_module):
    """client_vpn mode and Route 53 health checks: the ALB admits the endpoint's group and the checkers' prefix
    list, RDS the endpoint's group; the master password is RDS-managed (rotating, in its own secret) and the JWT
    secret's missing rotation is a documented exception. EMULATOR: moto has no AWS-managed prefix lists, so the
    checkers' list is a customer-managed one of the same name."""
    ids = _build(aws)
    ec2, rds = aws.client("ec2"), aws.client("rds")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-vpc"]}])["Vpcs"][0]["VpcId"]
    vpn = ec2.create_security_group(GroupName=PREFIX + "-client-vpn", Description="vpn", VpcId=vpc, TagSpecifications=[
        {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": PREFIX + "-client-vpn"}]}])["GroupId"]
    health = ec2.create_managed_prefix_list(PrefixListName="com.amazonaws.us-east-1.route53-healthchecks",
                                            MaxEntries=5, AddressFamily="IPv4")["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_ingress(GroupId=ids["alb"], IpPermissions=[
        _tcp(443, groups=[vpn]), dict(_tcp(443), PrefixListIds=[{"PrefixListId": health}])])
    ec2.authorize_security_group_ingress(GroupId=ids["rds"], IpPermissions=[_tcp(5432, groups=[vpn])])
    key = aws.client("kms").describe_key(KeyId="alias/%s-secrets" % PREFIX)["KeyMetadata"]["Arn"]
    rds.modify_db_instance(DBInstanceIdentifier=PREFIX + "-db", ManageMasterUserPassword=True,
                           MasterUserSecretKmsKeyId=key, ApplyImmediately=True)
    real = dict(ARGS, client_vpn=True, alb_prefix_list_names=["com.amazonaws.us-east-1.route53-healthchecks"],
                migration_window=True, production=True, secrets_rotation_exceptions={"p/test/jwt-secret": "one signing key"})

    result = run_module(module, real)
    assert result["findings"] == [], result["report"]
    assert [(e["resource"], e["check"]) for e in result["exceptions"]] == [("p/test/jwt-secret", "secret rotation")]
    assert any(line.startswith("DOCUMENTED EXCEPTION  p/test/jwt-secret") for line in result["report"])
    # The same RDS rule outside a migration: a window left open.
    assert _pairs(run_module(module, dict(real, migration_window=False))) == [
        ("%s-rds (%s)" % (PREFIX, ids["rds"]), "RDS admits the Client VPN only during a migration window")]
    # Without client_vpn mode and the prefix list those sources are unlisted ones.
    assert sorted(set(_pairs(run_module(module, dict(real, client_vpn=False, alb_prefix_list_names=[]))))) == [
        ("%s-alb (%s)" % (PREFIX, ids["alb"]), "ALB admits only the allowed clients"),
        ("%s-rds (%s)" % (PREFIX, ids["rds"]), "RDS admits only ECS and the migration host")]
    # A public CIDR on RDS is a finding whatever else RDS may admit.
    ec2.authorize_security_group_ingress(GroupId=ids["rds"], IpPermissions=[_tcp(5432, ["0.0.0.0/0"])])
    assert _pairs(run_module(module, real)) == [("%s-rds (%s)" % (PREFIX, ids["rds"]), "no ingress from the internet")]


def test_empty_account_names_what_is_missing(aws, run_module):
    result = run_module(module, ARGS)
    assert not result.get("failed"), result
    pairs = _pairs(result)
    for expected in [(PREFIX + "-vpc", "VPC exists"), (PREFIX + "-ecs-task", "IAM role exists"),
                     (PREFIX + "-db", "database exists"), (PREFIX + "-alb", "load balancer exists"),
                     (PREFIX + "-backend", "task definition exists"), ("/ecs/%s/frontend" % PREFIX, "log group exists"),
                     ("p/test/db-master", "secret exists"), ("alias/%s-secrets" % PREFIX, "KMS key exists"),
                     (TRAIL, "audit trail exists")]:
        assert expected in pairs


def test_bad_option_combinations_fail_before_any_call(aws, run_module, calls):
    result = run_module(module, dict(ARGS, security_group_names={"alb": "x"}))
    assert result["failed"] and "ecs, rds" in result["msg"]
    result = run_module(module, dict(ARGS, secrets_rotation_expected=["p/test/other"]))
    assert result["failed"] and "p/test/other" in result["msg"]
    result = run_module(module, dict(ARGS, secrets_rotation_expected=[SECRETS[0]],
                                     secrets_rotation_exceptions={SECRETS[0]: "why"}))
    assert result["failed"] and "both" in result["msg"]
    assert calls == []
