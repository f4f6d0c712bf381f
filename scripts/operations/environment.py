# -*- coding: utf-8 -*-
"""Describe one environment as it exists in the account: read-only calls, found by the names and tags of
docs/CONTRACTS.md. The one source of facts for playbooks/preflight.yml, playbooks/verify.yml and scripts/diagram.

Usage: python -m scripts.operations.environment --prefix life-world-os-production \
         [--project life-world-os --environment production --zone lifeworld.com --record prod.lifeworld.com
          --image-tag prod --metrics-minutes 10]
Prints JSON. Never reads a secret's value (describe_secret only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pathlib import Path

import boto3
from botocore.exceptions import ClientError

# The names are the collection's contract (plugins/module_utils/contract.py), never spelled here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from plugins.module_utils import contract  # noqa: E402
from scripts.operations.metrics import metrics  # noqa: E402

SECRETS = {"jwt-secret": "secret_jwt", "db-master": "secret_db_master", "api-keys": "secret_api_keys"}
REPOSITORIES = {"backend": "ecr_backend", "frontend": "ecr_frontend"}
SECURITY_GROUPS = ("alb", "ecs", "rds")
IAM_ROLES = {"ecs-task-execution": "role_ecs_task_execution", "ecs-task": "role_ecs_task",
             "rds-monitoring": "role_rds_monitoring"}


def _tags(resource, key="Tags"):
    return {t["Key"]: t["Value"] for t in resource.get(key) or []}


def _code(error):
    return error.response["Error"]["Code"]


def _absent(call, *codes, default=None):
    """call() or default when AWS says the resource does not exist."""
    try:
        return call()
    except ClientError as error:
        if _code(error) in codes:
            return default
        raise


def network(session, prefix):
    ec2 = session.client("ec2")
    facts = {"vpc": None, "subnets": [], "nat_gateways": [], "route_tables": []}
    name = contract.names(prefix)["vpc"]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    if not vpcs:
        return facts
    vpc = vpcs[0]
    facts["vpc"] = {"id": vpc["VpcId"], "cidr": vpc["CidrBlock"], "name": name}
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    for subnet in ec2.describe_subnets(Filters=in_vpc)["Subnets"]:
        tags = _tags(subnet)
        facts["subnets"].append({"id": subnet["SubnetId"], "name": tags.get("Name", subnet["SubnetId"]),
                                 "tier": tags.get("Tier", "other"), "az": subnet["AvailabilityZone"],
                                 "cidr": subnet["CidrBlock"]})
    for nat in ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"]:
        if nat["State"] in ("pending", "available"):
            facts["nat_gateways"].append({"id": nat["NatGatewayId"], "subnet": nat["SubnetId"],
                                          "name": _tags(nat).get("Name", nat["NatGatewayId"])})
    return facts


def security_groups(session, prefix):
    ec2 = session.client("ec2")
    groups = {}
    parts = {contract.names(prefix)["sg_" + part]: part for part in SECURITY_GROUPS}
    for group in ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": list(parts)}])["SecurityGroups"]:
        part = parts[_tags(group)["Name"]]
        groups[part] = {
            "id": group["GroupId"],
            "ingress": [{"from_port": rule.get("FromPort"), "to_port": rule.get("ToPort"),
                         "protocol": rule.get("IpProtocol"),
                         "cidrs": [r["CidrIp"] for r in rule.get("IpRanges", [])]
                         + [r["CidrIpv6"] for r in rule.get("Ipv6Ranges", [])],
                         "groups": [p["GroupId"] for p in rule.get("UserIdGroupPairs", [])]}
                        for rule in group.get("IpPermissions", [])],
        }
    return groups


def iam_roles(session, prefix):
    iam = session.client("iam")
    roles = {}
    for part, key in IAM_ROLES.items():
        name = contract.names(prefix)[key]
        role = _absent(lambda: iam.get_role(RoleName=name)["Role"], "NoSuchEntity")
        if role is None:
            continue
        inline = {}
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            inline[policy] = json.loads(document) if isinstance(document, str) else document
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        customer = {}
        for arn in attached:
            if ":aws:policy/" in arn:
                continue  # AWS-managed policies are AWS's to scope
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            customer[arn] = json.loads(document) if isinstance(document, str) else document
        roles[part] = {"name": name, "arn": role["Arn"], "inline_policies": inline, "attached_policies": attached,
                       "customer_policies": customer}
    return roles


def load_balancer(session, prefix):
    elbv2 = session.client("elbv2")
    lbs = _absent(lambda: elbv2.describe_load_balancers(Names=[contract.names(prefix)["alb"]])["LoadBalancers"],
                  "LoadBalancerNotFound", default=[])
    if not lbs:
        return None
    lb = lbs[0]
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    groups = []
    for group in elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
        states = [h["TargetHealth"]["State"] for h in health]
        groups.append({"name": group["TargetGroupName"], "arn": group["TargetGroupArn"], "port": group.get("Port"),
                       "healthy": states.count("healthy"), "targets": len(states)})
    return {"name": lb["LoadBalancerName"], "arn": lb["LoadBalancerArn"], "dns_name": lb["DNSName"],
            "hosted_zone_id": lb.get("CanonicalHostedZoneId"), "scheme": lb["Scheme"],
            "subnets": [az["SubnetId"] for az in lb.get("AvailabilityZones", [])],
            "listeners": sorted("%s:%s" % (l["Protocol"], l["Port"]) for l in listeners),
            "target_groups": groups}


def services(session, prefix):
    ecs = session.client("ecs")
    cluster = contract.names(prefix)["ecs_cluster"]
    if not [c for c in ecs.describe_clusters(clusters=[cluster])["clusters"] if c["status"] == "ACTIVE"]:
        return []
    arns = ecs.list_services(cluster=cluster).get("serviceArns", [])
    found = []
    for service in ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []:
        if service["status"] != "ACTIVE":
            continue
        vpc_config = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
        family = service["taskDefinition"].split("/")[-1].rsplit(":", 1)[0]
        revisions = [arn.split("/")[-1] for page in ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE") for arn in page["taskDefinitionArns"]]
        found.append({"name": service["serviceName"], "running": service.get("runningCount", 0),
                      "revisions": sorted((r for r in revisions if r.rsplit(":", 1)[0] == family),
                                          key=lambda r: int(r.rsplit(":", 1)[1])),
                      "desired": service.get("desiredCount", 0),
                      "task_definition": service["taskDefinition"].split("/")[-1],
                      "rollout": [d.get("rolloutState") for d in service.get("deployments", [])],
                      "subnets": vpc_config.get("subnets", []),
                      "target_groups": [ref["targetGroupArn"] for ref in service.get("loadBalancers", [])]})
    return sorted(found, key=lambda s: s["name"])


def _ecr_reference(image):
    """(repository, imageId) of an ECR image URI, or None for an image outside ECR."""
    host, _sep, path = image.partition("/")
    if ".dkr.ecr." not in host or not path:
        return None
    if "@" in path:
        repository, digest = path.split("@", 1)
        return repository, {"imageDigest": digest}
    repository, _sep, tag = path.rpartition(":") if ":" in path else (path, "", "latest")
    return repository, {"imageTag": tag}


def rollback_artefacts(session, found_services):
    """Per service, what a rollback returns to: the revision it runs now (a later deploy's rollback target) and
    whether each image that revision names is still in ECR (a lifecycle rule or a manual delete may have taken it)."""
    ecs, ecr = session.client("ecs"), session.client("ecr")
    artefacts = []
    for service in found_services:
        definition = ecs.describe_task_definition(taskDefinition=service["task_definition"])["taskDefinition"]
        images = []
        for container in definition.get("containerDefinitions", []):
            reference = _ecr_reference(container["image"])
            present = None
            if reference:
                present = bool(_absent(lambda: ecr.describe_images(repositoryName=reference[0], imageIds=[reference[1]])
                                       ["imageDetails"], "RepositoryNotFoundException", "ImageNotFoundException"))
            images.append({"image": container["image"], "in_ecr": present})
        artefacts.append({"service": service["name"], "revision": service["task_definition"],
                          "status": definition.get("status"), "images": images})
    return artefacts


def databases(session, prefix):
    rds = session.client("rds")
    found = []
    names = contract.names(prefix)
    for identifier, role in ((names["db_instance"], "primary"), (names["db_replica"], "replica")):
        dbs = _absent(lambda: rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"],
                      "DBInstanceNotFound", "DBInstanceNotFoundFault", default=[])
        for db in dbs:
            found.append({
                "identifier": identifier, "role": role, "az": db.get("AvailabilityZone"),
                "standby_az": db.get("SecondaryAvailabilityZone"), "multi_az": bool(db.get("MultiAZ")),
                "class": db["DBInstanceClass"], "status": db["DBInstanceStatus"],
                "engine": "%s %s" % (db["Engine"], db["EngineVersion"]),
                "backup_retention_days": db.get("BackupRetentionPeriod", 0),
                "deletion_protection": bool(db.get("DeletionProtection")),
                "storage_encrypted": bool(db.get("StorageEncrypted")),
                "latest_restorable_time": str(db.get("LatestRestorableTime") or ""),
                "endpoint": (db.get("Endpoint") or {}).get("Address"),
                "subnets": [s["SubnetIdentifier"] for s in db.get("DBSubnetGroup", {}).get("Subnets", [])],
            })
    return found


def alarms(session, prefix):
    cloudwatch = session.client("cloudwatch")
    found = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix):
        for alarm in page["MetricAlarms"] + page.get("CompositeAlarms", []):
            found.append({"name": alarm["AlarmName"], "state": alarm["StateValue"],
                          "actions": alarm.get("AlarmActions", [])})
    return found


def alert_topic(session, prefix):
    sns = session.client("sns")
    name = contract.names(prefix)["alerts_topic"]
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic["TopicArn"])["Subscriptions"]
                return {"arn": topic["TopicArn"], "subscriptions": len(subscriptions)}
    return None


def secrets(session, project, environment):
    client = session.client("secretsmanager")
    found = {}
    names = contract.names(None, project, environment)
    for name, key in SECRETS.items():
        path = names[key]
        secret = _absent(lambda: client.describe_secret(SecretId=path), "ResourceNotFoundException")
        found[name] = bool(secret) and not secret.get("DeletedDate")
    return found


def images(session, project, tag):
    ecr = session.client("ecr")
    found = {}
    names = contract.names(None, project)
    for repository, key in REPOSITORIES.items():
        name = names[key]
        details = _absent(lambda: ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": tag}])["imageDetails"],
                          "RepositoryNotFoundException", "ImageNotFoundException", default=[])
        found[repository] = details[0]["imageDigest"] if details else None
    return found


def certificate(session, domain):
    acm = session.client("acm")
    best = None
    for page in acm.get_paginator("list_certificates").paginate():
        for summary in page["CertificateSummaryList"]:
            if summary["DomainName"] == domain:
                status = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]["Status"]
                if best is None or status == "ISSUED":
                    best = {"arn": summary["CertificateArn"], "status": status}
    return best


def dns(session, zone, record):
    route53 = session.client("route53")
    zones = [z for z in route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
             if z["Name"].rstrip(".") == zone.rstrip(".")]
    if not zones:
        return {"zone": None, "record": None}
    zone_id = zones[0]["Id"].split("/")[-1]
    answer = None
    if record:
        sets = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=record, StartRecordType="A",
                                                 MaxItems="5")["ResourceRecordSets"]
        for entry in sets:
            if entry["Name"].rstrip(".") == record.rstrip(".") and entry["Type"] == "A":
                answer = {"alias": (entry.get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower() or None,
                          "values": [r["Value"] for r in entry.get("ResourceRecords", [])], "ttl": entry.get("TTL")}
                break
    return {"zone": {"id": zone_id, "name": zone}, "record": answer}


def describe(prefix, project=None, environment=None, zone=None, record=None, image_tag=None, session=None,
             metrics_minutes=None):
    session = session or boto3.session.Session()
    facts = {"prefix": prefix}
    facts.update(network(session, prefix))
    facts["security_groups"] = security_groups(session, prefix)
    facts["iam_roles"] = iam_roles(session, prefix)
    facts["load_balancer"] = load_balancer(session, prefix)
    facts["services"] = services(session, prefix)
    facts["rollback"] = rollback_artefacts(session, facts["services"])
    facts["databases"] = databases(session, prefix)
    facts["alarms"] = alarms(session, prefix)
    facts["alert_topic"] = alert_topic(session, prefix)
    if project and environment:
        facts["secrets"] = secrets(session, project, environment)
    if project and image_tag:
        facts["images"] = images(session, project, image_tag)
    if record:
        facts["certificate"] = certificate(session, record)
    if zone:
        facts["dns"] = dns(session, zone, record)
    if metrics_minutes:
        facts["metrics"] = metrics(session, prefix, facts["load_balancer"], facts["services"], metrics_minutes)
    return facts


def session_from_environment():
    # Plain boto3 reads only AWS_DEFAULT_REGION; the collection's settings put the region in AWS_REGION too.
    if "AWS_DEFAULT_REGION" not in os.environ and os.environ.get("AWS_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]
    return boto3.session.Session()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--project")
    parser.add_argument("--environment")
    parser.add_argument("--zone")
    parser.add_argument("--record")
    parser.add_argument("--image-tag")
    parser.add_argument("--metrics-minutes", type=int, help="also read the CloudWatch figures of the last N minutes")
    args = parser.parse_args(argv)
    facts = describe(args.prefix, args.project, args.environment, args.zone, args.record, args.image_tag,
                     session=session_from_environment(), metrics_minutes=args.metrics_minutes)
    json.dump(facts, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
