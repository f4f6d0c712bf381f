# -*- coding: utf-8 -*-
"""The edge (Route 53, ACM, ALB, WAF), built by real ansible-playbook runs against the emulator, read back with boto3.

The edge is read from the whole-site build the `site` group shares (tests/integration/conftest.py): building
network, security and edge again in a module of its own cost about four minutes for what the shared build already
holds. The second run is the `site` group's whole-site one (conftest.py: site.second_run()), read from the edge's
play (check mode on an empty account: test_empty_account.py); check mode on the converged edge runs on the shared
build with only the edge tag.

Client VPN is not exercised here: the emulator lacks its API (the local inventory keeps access mode ip_restricted);
its module is covered by Stubber tests under tests/unit.
"""

import fnmatch
import json

import pytest

from .harness import SITE_GROUP, api_calls_seen, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PREFIX = "life-world-os-local"
ZONE = "lifeworld.example.com"
RECORD = "local.lifeworld.example.com"


def _edge_resources(emulator):
    """Everything the edge creates, to prove a check-mode run created none of it."""
    return {
        "zones": emulator.client("route53").list_hosted_zones()["HostedZones"],
        "certificates": emulator.client("acm").list_certificates()["CertificateSummaryList"],
        "load_balancers": emulator.client("elbv2").describe_load_balancers()["LoadBalancers"],
        "target_groups": emulator.client("elbv2").describe_target_groups()["TargetGroups"],
        "ip_sets": emulator.client("wafv2").list_ip_sets(Scope="REGIONAL")["IPSets"],
        "web_acls": emulator.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"],
        "buckets": [b for b in emulator.client("s3").list_buckets().get("Buckets", []) if b["Name"].endswith("-alb-logs")],
        "waf_log_groups": emulator.client("logs").describe_log_groups(logGroupNamePrefix="aws-waf-logs-")["logGroups"],
    }


@pytest.fixture(scope="module")
def edge(emulator, site):
    """Every tier (the shared site build) → site.yml again (the group's one whole-site second run) → edge --check;
    every run kept. Check mode on an empty account: test_empty_account.py."""
    runs = {"first": site.build()}
    second = site.second_run()
    runs["second"], runs["edge_second"] = second.run, second.play("Edge")
    runs["check_converged"] = run_playbook(emulator, tags="edge", check=True, diff=True)
    elbv2 = emulator.client("elbv2")
    balancers = elbv2.describe_load_balancers(Names=[PREFIX + "-alb"])["LoadBalancers"] if runs["first"].rc == 0 else []
    assert len(balancers) == 1, runs["first"].tail()
    runs["alb"] = balancers[0]
    runs["listeners"] = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"]}
    runs["target_groups"] = {
        tg["TargetGroupName"]: tg for tg in elbv2.describe_target_groups(Names=[PREFIX + "-be", PREFIX + "-fe"])["TargetGroups"]
    }
    return runs


def test_first_run_converges(edge):
    assert edge["first"].rc == 0, edge["first"].tail()
    assert edge["first"].changed > 0


def test_second_run_reports_no_change(edge):
    """From the whole-site second run (test_compute asserts changed=0 for all of it): the edge's play ran its tasks
    and none reported a change."""
    run, play = edge["second"], edge["edge_second"]
    assert run.rc == 0, run.tail()
    assert play.ran("alb : Ensure the load balancer and its listeners") and play.ran("waf : Ensure the IP set"), play
    assert play.changed == [], "not idempotent: %s" % play.changed


def test_check_mode_on_the_converged_edge_reports_no_change(edge):
    run = edge["check_converged"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "check mode sees drift on a converged edge: %s" % run.changed_tasks()


def test_http_listener_redirects_to_https(edge):
    [action] = edge["listeners"][80]["DefaultActions"]
    assert edge["listeners"][80]["Protocol"] == "HTTP"
    assert action["Type"] == "redirect"
    assert action["RedirectConfig"]["Protocol"] == "HTTPS" and action["RedirectConfig"]["Port"] == "443"
    assert action["RedirectConfig"]["StatusCode"] == "HTTP_301"


def test_https_listener_uses_the_issued_certificate_and_a_tls13_policy(emulator, edge):
    listener = edge["listeners"][443]
    assert listener["Protocol"] == "HTTPS"
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    [certificate] = listener["Certificates"]
    described = emulator.client("acm").describe_certificate(CertificateArn=certificate["CertificateArn"])["Certificate"]
    assert described["Status"] == "ISSUED"
    assert described["DomainName"] == RECORD
    assert sorted(described["SubjectAlternativeNames"]) == sorted([RECORD, "www." + RECORD])
    [forward] = listener["DefaultActions"]
    assert forward["TargetGroupArn"] == edge["target_groups"][PREFIX + "-fe"]["TargetGroupArn"]


def test_certificate_validation_records_are_in_the_zone(emulator, edge):
    acm_cert = edge["listeners"][443]["Certificates"][0]["CertificateArn"]
    options = emulator.client("acm").describe_certificate(CertificateArn=acm_cert)["Certificate"]["DomainValidationOptions"]
    route53 = emulator.client("route53")
    zone_id = route53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][0]["Id"]
    records = {(r["Name"], r["Type"]) for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    for option in options:
        record = option["ResourceRecord"]
        assert (record["Name"], "CNAME") in records, record


def test_api_paths_go_to_the_backend_target_group(emulator, edge):
    rules = emulator.client("elbv2").describe_rules(ListenerArn=edge["listeners"][443]["ListenerArn"])["Rules"]
    [api_rule] = [r for r in rules if not r["IsDefault"]]
    assert api_rule["Conditions"][0]["Field"] == "path-pattern"
    values = api_rule["Conditions"][0].get("Values") or api_rule["Conditions"][0]["PathPatternConfig"]["Values"]
    assert values == ["/api/*"]
    assert api_rule["Actions"][0]["TargetGroupArn"] == edge["target_groups"][PREFIX + "-be"]["TargetGroupArn"]


def test_target_groups_are_ip_targets_with_their_health_checks(edge):
    backend, frontend = edge["target_groups"][PREFIX + "-be"], edge["target_groups"][PREFIX + "-fe"]
    assert (backend["TargetType"], backend["Port"], backend["HealthCheckPath"]) == ("ip", 3001, "/api/health")
    assert (frontend["TargetType"], frontend["Port"], frontend["HealthCheckPath"]) == ("ip", 80, "/")
    assert backend["VpcId"] == edge["alb"]["VpcId"]


def test_load_balancer_is_internet_facing_in_public_subnets_with_its_security_group(emulator, edge):
    alb = edge["alb"]
    assert alb["Scheme"] == "internet-facing"
    ec2 = emulator.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=[z["SubnetId"] for z in alb["AvailabilityZones"]])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) >= 2
    assert all({t["Key"]: t["Value"] for t in s["Tags"]}["Tier"] == "public" for s in subnets)
    [group] = ec2.describe_security_groups(GroupIds=alb["SecurityGroups"])["SecurityGroups"]
    assert {t["Key"]: t["Value"] for t in group["Tags"]}["Name"] == PREFIX + "-alb"


def test_invalid_headers_are_dropped_and_deletion_is_protected(emulator, edge):
    elbv2 = emulator.client("elbv2")
    attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=edge["alb"]["LoadBalancerArn"])["Attributes"]
    attributes = {a["Key"]: a["Value"] for a in attributes}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attributes["deletion_protection.enabled"] == "true"


def test_alias_record_points_at_the_load_balancer_and_is_health_checked(emulator, edge):
    route53 = emulator.client("route53")
    zone_id = route53.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][0]["Id"]
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    [alias] = [r for r in records if r["Name"] == RECORD + "." and r["Type"] == "A"]
    target = alias["AliasTarget"]["DNSName"].rstrip(".").lower()
    assert target.endswith(edge["alb"]["DNSName"].lower()), (target, edge["alb"]["DNSName"])
    assert alias["AliasTarget"]["HostedZoneId"] == edge["alb"]["CanonicalHostedZoneId"]
    checks = [c["HealthCheckConfig"] for c in route53.list_health_checks()["HealthChecks"]]
    assert any(
        c["Type"] == "HTTPS" and c.get("FullyQualifiedDomainName") == RECORD and c.get("ResourcePath") == "/api/health"
        for c in checks
    ), checks


def test_waf_protects_the_load_balancer_with_rate_limit_ip_set_and_sqli_rules(emulator, edge):
    wafv2 = emulator.client("wafv2")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=edge["alb"]["LoadBalancerArn"]).get("WebACL")
    assert acl and acl["Name"] == PREFIX + "-web-acl"
    statements = {rule["Name"]: rule["Statement"] for rule in acl["Rules"]}
    assert statements["rate-limit-per-ip"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert statements["ip-set"]["IPSetReferenceStatement"]["ARN"].split("/")[-2] == PREFIX + "-ip-set"
    assert statements["aws-managed-sqli"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesSQLiRuleSet"


def test_alb_access_logs_go_to_a_private_sse_s3_bucket_only_elb_may_write_to(emulator, edge):
    account = emulator.client("sts").get_caller_identity()["Account"]
    bucket = "%s-%s-alb-logs" % (PREFIX, account)
    elbv2, s3 = emulator.client("elbv2"), emulator.client("s3")
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=edge["alb"]["LoadBalancerArn"])["Attributes"]}
    assert (attributes["access_logs.s3.enabled"], attributes["access_logs.s3.bucket"],
            attributes["access_logs.s3.prefix"]) == ("true", bucket, "alb")
    # SSE-S3: ELB access-log delivery does not support SSE-KMS buckets.
    [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    writers = {json.dumps(s["Principal"], sort_keys=True): s for s in policy["Statement"] if s["Effect"] == "Allow"}
    # us-east-1 predates August 2022: its regional ELB account (AWS's documented 127311923021) and the service principal.
    assert set(writers) == {json.dumps({"AWS": "arn:aws:iam::127311923021:root"}),
                            json.dumps({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"})}
    assert all(s["Action"] == "s3:PutObject" and s["Resource"] == "arn:aws:s3:::%s/alb/AWSLogs/%s/*" % (bucket, account)
               for s in writers.values())
    [expiry] = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert expiry["Expiration"]["Days"] == 365 and expiry["Status"] == "Enabled"


def test_waf_logs_to_an_encrypted_aws_waf_logs_group_with_credentials_redacted(emulator, edge):
    account = emulator.client("sts").get_caller_identity()["Account"]
    group = "aws-waf-logs-" + PREFIX
    wafv2, logs, kms = emulator.client("wafv2"), emulator.client("logs"), emulator.client("kms")
    acl = wafv2.get_web_acl_for_resource(ResourceArn=edge["alb"]["LoadBalancerArn"])["WebACL"]
    configuration = wafv2.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]
    group_arn = "arn:aws:logs:us-east-1:%s:log-group:%s" % (account, group)
    assert configuration["LogDestinationConfigs"] == [group_arn]
    assert sorted(f["SingleHeader"]["Name"] for f in configuration["RedactedFields"]) == ["authorization", "cookie"]
    [described] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    logs_key = kms.describe_key(KeyId="alias/%s-logs" % PREFIX)["KeyMetadata"]
    assert described["kmsKeyId"] == logs_key["Arn"] and described["retentionInDays"] == 90
    # The key policy must let CloudWatch Logs use the key for this group (AWS refuses the group otherwise).
    policy = json.loads(kms.get_key_policy(KeyId=logs_key["KeyId"], PolicyName="default")["Policy"])
    [logs_use] = [s for s in policy["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsOurLogGroups"]
    patterns = logs_use["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert any(fnmatch.fnmatchcase(group_arn, pattern) for pattern in patterns), patterns


BAD_INPUTS = [
    ({"alb_access_mode": "public_internet"}, "alb_access_mode"),
    ({"route53_record_name": "app.lifeworld.other.org"}, "route53_record_name"),
    ({"acm_subject_alternative_names": ["www.elsewhere.net"]}, "acm_subject_alternative_names[0]"),
    ({"alb_ssl_policy": "ELBSecurityPolicy-2016-08"}, "alb_ssl_policy"),
    ({"waf_rate_limit": 5}, "waf_rate_limit"),
    ({"route53_failover_enabled": True}, "route53_failover_secondary"),
    ({"alb_access_mode": "client_vpn", "client_vpn_client_cidr": "10.40.8.0/22"}, "client_vpn_client_cidr"),
]


@pytest.mark.parametrize("override,variable", BAD_INPUTS, ids=[v for _unused, v in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(emulator, playbook, override, variable):
    calls_before = api_calls_seen(emulator)
    run = playbook(tags="edge", extra_vars=override)
    assert run.rc != 0
    assert variable in run.stdout + run.stderr, "the failure should name %s:\n%s" % (variable, run.tail())
    assert api_calls_seen(emulator) == calls_before, "an AWS call was made before validation failed"


FAILOVER_ZONE = "failover.lifeworld.example.com"


@pytest.fixture
def failover_zone(emulator):
    """The failover zone is not part of the environment: deleted again (its records, their health checks, the zone),
    so the modules after this one on the shared build (export, hardening, teardown's census) see what site.yml made."""
    yield FAILOVER_ZONE
    route53 = emulator.client("route53")
    for zone in route53.list_hosted_zones_by_name(DNSName=FAILOVER_ZONE)["HostedZones"]:
        if zone["Name"].rstrip(".") != FAILOVER_ZONE:
            continue
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        ours = [r for r in records if r["Type"] not in ("SOA", "NS")]
        if ours:
            route53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={
                "Changes": [{"Action": "DELETE", "ResourceRecordSet": r} for r in ours]})
        for check in {r["HealthCheckId"] for r in ours if r.get("HealthCheckId")}:
            route53.delete_health_check(HealthCheckId=check)
        route53.delete_hosted_zone(Id=zone["Id"])


def test_failover_routing_publishes_primary_with_health_check_and_secondary(emulator, edge, playbook, failover_zone):
    # A zone of its own: the emulator cannot switch an existing simple record to failover routing (see route53 README).
    zone, record = failover_zone, "app." + failover_zone
    settings = {"route53_zone_name": zone, "route53_record_name": record, "route53_failover_enabled": True,
                "route53_failover_secondary": {"dns_name": "s3-website-us-east-1.amazonaws.com",
                                               "hosted_zone_id": "Z3AQBSTGFYJSTF"},
                "acm_zone_name": ZONE, "acm_domain_name": RECORD}
    first = playbook(tags="route53", extra_vars=settings)
    second = playbook(tags="route53", extra_vars=settings)
    assert first.rc == 0, first.tail()
    assert second.rc == 0 and second.changed == 0, second.changed_tasks() or second.tail()
    route53 = emulator.client("route53")
    zone_id = route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"][0]["Id"]
    records = {r.get("Failover"): r for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
               if r["Name"] == record + "." and r["Type"] == "A"}
    assert set(records) == {"PRIMARY", "SECONDARY"}, records
    assert records["PRIMARY"]["AliasTarget"]["DNSName"].rstrip(".").lower().endswith(edge["alb"]["DNSName"].lower())
    check = route53.get_health_check(HealthCheckId=records["PRIMARY"]["HealthCheckId"])["HealthCheck"]
    assert check["HealthCheckConfig"]["ResourcePath"] == "/api/health"
    assert records["SECONDARY"]["AliasTarget"]["DNSName"].rstrip(".") == "s3-website-us-east-1.amazonaws.com"


def _zone_name_servers(emulator, zone):
    route53 = emulator.client("route53")
    zone_id = route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"][0]["Id"]
    return route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]


def test_acm_stops_with_the_ns_records_to_add_while_public_dns_delegates_elsewhere(emulator, edge, playbook):
    """The delegation check, on (as on AWS) with a fake public DNS answer (the emulator's zones are delegated
    nowhere): the run stops before requesting anything, naming the records the parent zone's provider must hold."""
    certificates = emulator.client("acm").list_certificates()["CertificateSummaryList"]
    run = playbook(tags="acm", extra_vars={"acm_check_delegation": True,
                                           "acm_delegation_answers": ["ns1.old-provider.example"]})
    assert run.rc != 0
    output = run.stdout + run.stderr
    for name_server in _zone_name_servers(emulator, ZONE):
        assert "%s. 172800 IN NS %s." % (ZONE, name_server.rstrip(".")) in output, run.tail()
    assert "ns1.old-provider.example" in output
    assert emulator.client("acm").list_certificates()["CertificateSummaryList"] == certificates


def test_acm_proceeds_once_public_dns_delegates_to_the_zone(emulator, edge, playbook):
    answers = [ns.upper() + "." for ns in _zone_name_servers(emulator, ZONE)]
    run = playbook(tags="acm", extra_vars={"acm_check_delegation": True, "acm_delegation_answers": answers})
    assert run.rc == 0, run.tail()
    assert run.changed == 0, run.changed_tasks()
