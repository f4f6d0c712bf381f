# -*- coding: utf-8 -*-
"""scripts/local_stack/standins.py and plugins/module_utils/environment_metrics.py against in-process moto: release
images pushed through the registry API (blobs first, then a manifest naming them), tasks registered in their target groups, and
the CloudWatch figures verify.yml reads (present after the stand-ins put them, None before)."""

import gzip
import hashlib
import io
import json
import sys
import tarfile

import pytest

from scripts.local_stack import standins
from ansible_collections.lifeworld.production.plugins.module_utils import environment_report
from ansible_collections.lifeworld.production.plugins.module_utils.environment_metrics import metrics

PREFIX = "life-world-os-local"


def _sha(blob):
    return "sha256:" + hashlib.sha256(blob).hexdigest()


@pytest.fixture
def built(aws, monkeypatch):
    """The parts of a built environment the stand-ins read: repositories, ALB + two target groups, a cluster with two
    services in two private subnets, each running 2 tasks behind its target group."""
    # What the local stack starts its emulator with (scripts/local-stack): services report their tasks running.
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "2")
    ecr, ec2, elbv2, ecs = (aws.client(n) for n in ("ecr", "ec2", "elbv2", "ecs"))
    for name in standins.REPOSITORIES:
        ecr.create_repository(repositoryName="life-world-os/" + name, imageTagMutability="IMMUTABLE")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.%d.0/24" % i, AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
               for i, az in ((10, "a"), (11, "b"))]
    group_id = ec2.create_security_group(GroupName="ecs", Description="ecs", VpcId=vpc)["GroupId"]
    lb = elbv2.create_load_balancer(Name=PREFIX + "-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]
    ecs.create_cluster(clusterName=PREFIX)
    groups = {}
    for service, port in (("backend", 3000), ("frontend", 80)):
        group = elbv2.create_target_group(Name="%s-%s" % (PREFIX, service[:2]), Protocol="HTTP", Port=port, VpcId=vpc,
                                          TargetType="ip")["TargetGroups"][0]
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
        ecs.register_task_definition(family="%s-%s" % (PREFIX, service), networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                     cpu="256", memory="512",
                                     containerDefinitions=[{"name": service, "image": "x", "portMappings": [{"containerPort": port}]}])
        ecs.create_service(cluster=PREFIX, serviceName=service, taskDefinition="%s-%s" % (PREFIX, service), desiredCount=2,
                           launchType="FARGATE",
                           networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group_id]}},
                           loadBalancers=[{"targetGroupArn": group["TargetGroupArn"], "containerName": service,
                                           "containerPort": port}])
        groups[service] = group
    return {"lb": lb, "groups": groups, "subnets": subnets}


def test_release_images_are_pushed_as_blobs_and_a_manifest_naming_them(aws, built):
    ecr = aws.client("ecr")
    digests = standins.push_release_images(aws, "life-world-os", "local")
    assert set(digests) == {"backend", "frontend"}
    for name, digest in digests.items():
        repository = "life-world-os/" + name
        [image] = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": "local"}])["images"]
        manifest = json.loads(image["imageManifest"])
        assert manifest["schemaVersion"] == 2 and image["imageId"]["imageDigest"] == digest
        named = [manifest["config"]["digest"]] + [layer["digest"] for layer in manifest["layers"]]
        # Every blob the manifest names was uploaded (as ECR requires of a push).
        available = ecr.batch_check_layer_availability(repositoryName=repository, layerDigests=named)
        assert available["failures"] == [] and len(available["layers"]) == 2
        assert len(manifest["layers"]) == 1


def test_the_layer_is_a_gzipped_tar_naming_the_release_and_reproducible():
    layer, tar = standins._layer("life-world-os/backend", "local")
    assert gzip.decompress(layer) == tar
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        assert archive.extractfile("release").read() == b"life-world-os/backend local\n"
    assert _sha(standins._layer("life-world-os/backend", "local")[0]) == _sha(layer)
    assert _sha(standins._layer("life-world-os/backend", "v2")[0]) != _sha(layer)


def test_pushing_a_tag_again_keeps_the_image_it_has(aws, built):
    first = standins.push_release_images(aws, "life-world-os", "local")
    assert standins.push_release_images(aws, "life-world-os", "local") == first
    images = aws.client("ecr").describe_images(repositoryName="life-world-os/backend")["imageDetails"]
    assert [i["imageTags"] for i in images] == [["local"]]


def test_tasks_are_registered_in_their_target_groups_inside_the_service_subnets(aws, built):
    registered = standins.register_tasks(aws, PREFIX)
    assert sorted(registered) == [PREFIX + "-ba", PREFIX + "-fr"]
    elbv2 = aws.client("elbv2")
    health = elbv2.describe_target_health(TargetGroupArn=built["groups"]["backend"]["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(h["Target"]["Id"] for h in health) == ["10.40.10.10", "10.40.11.11"]


def test_metrics_are_none_before_anything_is_put(aws, built):
    lb = {"name": PREFIX + "-alb", "arn": built["lb"]["LoadBalancerArn"],
          "target_groups": [{"name": g["TargetGroupName"], "arn": g["TargetGroupArn"]} for g in built["groups"].values()]}
    facts = metrics(aws.client, PREFIX, lb, [{"name": "backend"}, {"name": "frontend"}], 10)
    assert facts["load_balancer"] == {"name": PREFIX + "-alb", "requests": None, "elb_5xx": None, "target_5xx": None}
    assert [g["healthy"] for g in facts["target_groups"]] == [None, None]
    assert [s["running"] for s in facts["services"]] == [None, None]


def test_metrics_read_back_what_the_standins_put(aws, built):
    standins.register_tasks(aws, PREFIX)
    standins.put_metrics(aws, PREFIX, requests=120)
    aws.client("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
        "MetricName": "HTTPCode_Target_5XX_Count", "Value": 3, "Unit": "Count",
        "Dimensions": [{"Name": "LoadBalancer", "Value": built["lb"]["LoadBalancerArn"].split(":loadbalancer/")[1]}]}])
    lb = {"name": PREFIX + "-alb", "arn": built["lb"]["LoadBalancerArn"],
          "target_groups": [{"name": g["TargetGroupName"], "arn": g["TargetGroupArn"]} for g in built["groups"].values()]}
    facts = metrics(aws.client, PREFIX, lb, [{"name": "backend"}, {"name": "frontend"}], 10)
    assert facts["load_balancer"]["requests"] == 120
    assert facts["load_balancer"]["target_5xx"] == 3 and facts["load_balancer"]["elb_5xx"] is None
    assert [g["healthy"] for g in facts["target_groups"]] == [2, 2]
    assert {s["name"]: s["running"] for s in facts["services"]} == {"backend": 2, "frontend": 2}


def test_with_health_runs_the_command_with_a_url_that_answers_200(tmp_path):
    probe = ("import sys, urllib.request\n"
             "url = sys.argv[sys.argv.index('-e') + 1].split('=', 1)[1]\n"
             "open(sys.argv[1], 'w').write('%s %s' % (url, urllib.request.urlopen(url, timeout=5).status))\n")
    out = tmp_path / "seen"
    assert standins.main(["with-health", sys.executable, "-c", probe, str(out)]) == 0
    url, status = out.read_text().split()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/api/health") and status == "200"
    # The command's failure is the wrapper's.
    assert standins.main(["with-health", sys.executable, "-c", "raise SystemExit(3)"]) == 3


def test_rollback_artefacts_say_whether_each_image_of_the_running_revision_is_in_ecr(aws, built):
    account = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert environment_report.ecr_reference(account + "/life-world-os/backend:local") == (
        "life-world-os/backend", {"imageTag": "local"})
    assert environment_report.ecr_reference(account + "/life-world-os/backend@sha256:" + "a" * 64) == (
        "life-world-os/backend", {"imageDigest": "sha256:" + "a" * 64})
    assert environment_report.ecr_reference("nginx:1.27") is None
    standins.push_release_images(aws, "life-world-os", "local")
    ecs = aws.client("ecs")
    for name, tag in (("backend", "local"), ("frontend", "gone")):
        ecs.register_task_definition(family="%s-%s" % (PREFIX, name), containerDefinitions=[
            {"name": name, "image": "%s/life-world-os/%s:%s" % (account, name, tag), "memory": 512}])
    services = [{"name": n, "task_definition": "%s-%s:2" % (PREFIX, n)} for n in ("backend", "frontend")]
    found = environment_report.rollback_artefacts(aws.client, services)
    assert [(a["service"], a["status"], [i["in_ecr"] for i in a["images"]]) for a in found] == [
        ("backend", "ACTIVE", [True]), ("frontend", "ACTIVE", [False])]
