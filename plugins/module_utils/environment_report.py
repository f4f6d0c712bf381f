# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The full read of one environment that playbooks/preflight.yml, verify.yml, rollback.yml and diagram.yml judge
(``environment_info`` with ``report: true``; scripts/diagram and scripts/show-environment print it): the network,
security groups with their rules, IAM roles with their policies, the load balancer, services, databases, alarms,
secrets (metadata only, never a value), release images, certificate and DNS. Found by the contract's names
(plugins/module_utils/contract.py) with the batched readers of environment_read.
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.lifeworld.production.plugins.module_utils import contract
from ansible_collections.lifeworld.production.plugins.module_utils import environment_read as reader
from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
from ansible_collections.lifeworld.production.plugins.module_utils.environment_metrics import metrics

SECRETS = {"jwt-secret": "secret_jwt", "db-master": "secret_db_master", "api-keys": "secret_api_keys"}
REPOSITORIES = {"backend": "ecr_backend", "frontend": "ecr_frontend"}
# client_vpn: the Client VPN endpoint's group, when the access mode builds it (the migration window admits it).
SECURITY_GROUPS = ("alb", "ecs", "rds", "client_vpn")
IAM_ROLES = {"ecs-task-execution": "role_ecs_task_execution", "ecs-task": "role_ecs_task",
             "rds-monitoring": "role_rds_monitoring"}


def _tags(resource, key="Tags"):
    return {t["Key"]: t["Value"] for t in resource.get(key) or []}


def _document(document):
    return json.loads(document) if isinstance(document, str) else document


def network(client_for, names):
    ec2 = client_for("ec2")
    facts = {"vpc": None, "subnets": [], "nat_gateways": []}
    vpc = reader.vpcs(ec2, [names["vpc"]]).get(names["vpc"])
    if not vpc:
        return facts
    facts["vpc"] = {"id": vpc["VpcId"], "cidr": vpc["CidrBlock"], "name": names["vpc"]}
    for subnet in reader.subnets(ec2, vpc["VpcId"]):
        facts["subnets"].append({"id": subnet["subnet_id"], "name": subnet["tags"].get("Name", subnet["subnet_id"]),
                                 "tier": subnet["tags"].get("Tier", "other"), "az": subnet["availability_zone"],
                                 "cidr": subnet["cidr_block"]})
    in_vpc = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    for nat in reader.paginate(ec2, "describe_nat_gateways", Filters=in_vpc).get("NatGateways", []):
        if nat["State"] in ("pending", "available"):
            facts["nat_gateways"].append({"id": nat["NatGatewayId"], "subnet": nat["SubnetId"],
                                          "name": _tags(nat).get("Name", nat["NatGatewayId"])})
    return facts


def security_groups(client_for, names, vpc_id):
    parts = {names["sg_" + part]: part for part in SECURITY_GROUPS}
    groups = {}
    for name, group in reader.security_groups(client_for("ec2"), list(parts), vpc_id=vpc_id).items():
        groups[parts[name]] = {
            "id": group["GroupId"],
            "ingress": [{"from_port": rule.get("FromPort"), "to_port": rule.get("ToPort"),
                         "protocol": rule.get("IpProtocol"),
                         "cidrs": [r["CidrIp"] for r in rule.get("IpRanges", [])]
                         + [r["CidrIpv6"] for r in rule.get("Ipv6Ranges", [])],
                         "groups": [p["GroupId"] for p in rule.get("UserIdGroupPairs", [])]}
                        for rule in group.get("IpPermissions", [])],
        }
    return groups


def iam_roles(client_for, names):
    iam = client_for("iam")
    wanted = {names[key]: part for part, key in IAM_ROLES.items()}
    roles = {}
    for name, role in reader.iam_roles(iam, list(wanted)).items():
        inline, attached = reader.role_documents(iam, name, aws_managed=False)
        roles[wanted[name]] = {
            "name": name, "arn": role["Arn"], "attached_policies": list(attached),
            "inline_policies": {policy: _document(doc) for policy, doc in inline.items()},
            "customer_policies": {arn: _document(doc) for arn, doc in attached.items() if doc is not None}}
    return roles


def load_balancer(client_for, names):
    elbv2 = client_for("elbv2")
    lb = reader.load_balancers(elbv2, [names["alb"]]).get(names["alb"])
    if not lb:
        return None
    arn = lb["LoadBalancerArn"]
    listeners = reader.paginate(elbv2, "describe_listeners", LoadBalancerArn=arn).get("Listeners", [])
    groups = []
    for group in reader.paginate(elbv2, "describe_target_groups", LoadBalancerArn=arn).get("TargetGroups", []):
        health = aws_retry()(elbv2.describe_target_health)(TargetGroupArn=group["TargetGroupArn"])
        states = [h["TargetHealth"]["State"] for h in health["TargetHealthDescriptions"]]
        groups.append({"name": group["TargetGroupName"], "arn": group["TargetGroupArn"], "port": group.get("Port"),
                       "healthy": states.count("healthy"), "targets": len(states)})
    return {"name": lb["LoadBalancerName"], "arn": arn, "dns_name": lb["DNSName"],
            "hosted_zone_id": lb.get("CanonicalHostedZoneId"), "scheme": lb["Scheme"],
            "subnets": [az["SubnetId"] for az in lb.get("AvailabilityZones", [])],
            "listeners": sorted("%s:%s" % (listener["Protocol"], listener["Port"]) for listener in listeners),
            "target_groups": groups}


def _service(ecs, service):
    vpc_config = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
    family = service["taskDefinition"].split("/")[-1].rsplit(":", 1)[0]
    listed = reader.paginate(ecs, "list_task_definitions", familyPrefix=family, status="ACTIVE")
    revisions = [arn.split("/")[-1] for arn in listed.get("taskDefinitionArns", [])]
    return {"name": service["serviceName"], "running": service.get("runningCount", 0),
            "revisions": sorted((r for r in revisions if r.rsplit(":", 1)[0] == family),
                                key=lambda r: int(r.rsplit(":", 1)[1])),
            "desired": service.get("desiredCount", 0),
            "task_definition": service["taskDefinition"].split("/")[-1],
            "rollout": [d.get("rolloutState") for d in service.get("deployments", [])],
            "subnets": vpc_config.get("subnets", []),
            "target_groups": [ref["targetGroupArn"] for ref in service.get("loadBalancers", [])]}


def services(client_for, names):
    ecs = client_for("ecs")
    cluster = names["ecs_cluster"]
    if not reader.ecs_clusters(ecs, [cluster]):
        return []
    arns = reader.paginate(ecs, "list_services", cluster=cluster).get("serviceArns", [])
    found = []
    for start in range(0, len(arns), 10):  # DescribeServices takes 10 at a time
        described = aws_retry()(ecs.describe_services)(cluster=cluster, services=arns[start:start + 10])
        found += [_service(ecs, s) for s in described["services"] if s["status"] == "ACTIVE"]
    return sorted(found, key=lambda s: s["name"])


def ecr_reference(image):
    """(repository, imageId) of an ECR image URI, or None for an image outside ECR."""
    host, dummy, path = image.partition("/")
    if ".dkr.ecr." not in host or not path:
        return None
    if "@" in path:
        repository, digest = path.split("@", 1)
        return repository, {"imageDigest": digest}
    repository, dummy, tag = path.rpartition(":") if ":" in path else (path, "", "latest")
    return repository, {"imageTag": tag}


def image_digest(ecr, repository, image_id):
    """The digest of one image, or None when the repository or the image is not there."""
    try:
        details = aws_retry()(ecr.describe_images)(repositoryName=repository, imageIds=[image_id])["imageDetails"]
    except is_boto3_error_code(["RepositoryNotFoundException", "ImageNotFoundException"]):
        return None
    return details[0]["imageDigest"] if details else None


def rollback_artefacts(client_for, found_services):
    """Per service, what a rollback returns to: the revision it runs now (a later deploy's rollback target) and
    whether each image that revision names is still in ECR (a lifecycle rule or a manual delete may have taken it)."""
    ecs, ecr = client_for("ecs"), client_for("ecr")
    artefacts = []
    for service in found_services:
        definition = aws_retry()(ecs.describe_task_definition)(taskDefinition=service["task_definition"])[
            "taskDefinition"]
        images = []
        for container in definition.get("containerDefinitions", []):
            reference = ecr_reference(container["image"])
            present = bool(image_digest(ecr, *reference)) if reference else None
            images.append({"image": container["image"], "in_ecr": present})
        artefacts.append({"service": service["name"], "revision": service["task_definition"],
                          "status": definition.get("status"), "images": images})
    return artefacts


def databases(client_for, names):
    roles = {names["db_instance"]: "primary", names["db_replica"]: "replica"}
    found = []
    for identifier, db in sorted(reader.db_instances(client_for("rds"), list(roles)).items(),
                                 key=lambda item: roles[item[0]] != "primary"):
        found.append({
            "identifier": identifier, "role": roles[identifier], "az": db.get("AvailabilityZone"),
            "standby_az": db.get("SecondaryAvailabilityZone"), "multi_az": bool(db.get("MultiAZ")),
            "class": db["DBInstanceClass"], "status": db["DBInstanceStatus"],
            "engine": "%s %s" % (db["Engine"], db["EngineVersion"]),
            "backup_retention_days": db.get("BackupRetentionPeriod", 0),
            "deletion_protection": bool(db.get("DeletionProtection")),
            "storage_encrypted": bool(db.get("StorageEncrypted")),
            "latest_restorable_time": str(db.get("LatestRestorableTime") or ""),
            "endpoint": (db.get("Endpoint") or {}).get("Address"),
            "port": (db.get("Endpoint") or {}).get("Port"),
            "subnets": [s["SubnetIdentifier"] for s in db.get("DBSubnetGroup", {}).get("Subnets", [])],
        })
    return found


def alarms(client_for, prefix):
    found = reader.paginate(client_for("cloudwatch"), "describe_alarms", AlarmNamePrefix=prefix)
    return [{"name": alarm["AlarmName"], "state": alarm["StateValue"], "actions": alarm.get("AlarmActions", [])}
            for alarm in found.get("MetricAlarms", []) + found.get("CompositeAlarms", [])]


def alert_topic(client_for, names):
    sns = client_for("sns")
    topic = reader.sns_topics(sns, [names["alerts_topic"]]).get(names["alerts_topic"])
    if not topic:
        return None
    subscriptions = reader.paginate(sns, "list_subscriptions_by_topic", TopicArn=topic["TopicArn"])
    return {"arn": topic["TopicArn"], "subscriptions": len(subscriptions.get("Subscriptions", []))}


def secrets(client_for, names):
    found = reader.secrets(client_for("secretsmanager"), [names[key] for key in SECRETS.values()])
    return {short: names[key] in found for short, key in SECRETS.items()}


def images(client_for, names, tag):
    ecr = client_for("ecr")
    return {repository: image_digest(ecr, names[key], {"imageTag": tag}) for repository, key in REPOSITORIES.items()}


def certificate(client_for, domain):
    acm = client_for("acm")
    best = None
    for summary in reader.paginate(acm, "list_certificates").get("CertificateSummaryList", []):
        if summary["DomainName"] == domain:
            status = aws_retry()(acm.describe_certificate)(CertificateArn=summary["CertificateArn"])[
                "Certificate"]["Status"]
            if best is None or status == "ISSUED":
                best = {"arn": summary["CertificateArn"], "status": status}
    return best


def dns(client_for, zone, record):
    route53 = client_for("route53")
    zones = [z for z in aws_retry()(route53.list_hosted_zones_by_name)(DNSName=zone)["HostedZones"]
             if z["Name"].rstrip(".") == zone.rstrip(".")]
    if not zones:
        return {"zone": None, "record": None}
    zone_id = zones[0]["Id"].split("/")[-1]
    answer = None
    if record:
        sets = aws_retry()(route53.list_resource_record_sets)(
            HostedZoneId=zone_id, StartRecordName=record, StartRecordType="A", MaxItems="5")["ResourceRecordSets"]
        for entry in sets:
            if entry["Name"].rstrip(".") == record.rstrip(".") and entry["Type"] == "A":
                answer = {"alias": (entry.get("AliasTarget") or {}).get("DNSName", "").rstrip(".").lower() or None,
                          "values": [r["Value"] for r in entry.get("ResourceRecords", [])], "ttl": entry.get("TTL")}
                break
    return {"zone": {"id": zone_id, "name": zone}, "record": answer}


def describe(client_for, prefix, project=None, environment=None, zone=None, record=None, image_tag=None,
             metrics_minutes=None):
    """The whole report, as preflight/verify/diagram read it (keys: prefix, vpc, subnets, nat_gateways,
    security_groups, iam_roles, load_balancer, services, rollback, databases, alarms, alert_topic, and with the
    inputs that ask for them secrets, images, certificate, dns, metrics)."""
    names = contract.names(prefix, project, environment)
    facts = {"prefix": prefix}
    facts.update(network(client_for, names))
    facts["security_groups"] = security_groups(client_for, names, (facts["vpc"] or {}).get("id"))
    facts["iam_roles"] = iam_roles(client_for, names)
    facts["load_balancer"] = load_balancer(client_for, names)
    facts["services"] = services(client_for, names)
    facts["rollback"] = rollback_artefacts(client_for, facts["services"])
    facts["databases"] = databases(client_for, names)
    facts["alarms"] = alarms(client_for, prefix)
    facts["alert_topic"] = alert_topic(client_for, names)
    if project and environment:
        facts["secrets"] = secrets(client_for, names)
    if project and image_tag:
        facts["images"] = images(client_for, names, image_tag)
    if record:
        facts["certificate"] = certificate(client_for, record)
    if zone:
        facts["dns"] = dns(client_for, zone, record)
    if metrics_minutes:
        facts["metrics"] = metrics(client_for, names["ecs_cluster"], facts["load_balancer"], facts["services"],
                                   metrics_minutes)
    return facts
