"""What a real account has after a release and a few minutes of traffic, and the emulator lacks: stand-ins.

Usage (from the repository root, with the local stack's AWS exports, `scripts/local-stack env aws`):
    python -m scripts.local_stack.standins release --prefix life-world-os-local --project life-world-os --tag local
    python -m scripts.local_stack.standins health --port 5080      # serves /api/health (200) until stopped
    python -m scripts.local_stack.standins with-health ansible-playbook -i inventories/local playbooks/verify.yml

- release: the release images under ``--tag`` in the ECR repositories, pushed through the registry API the way
  `docker push` does (layer and config blobs uploaded with InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload,
  then PutImage with a schema 2 manifest naming them), so no Docker is needed; a tag already there is left alone
  (the repositories are IMMUTABLE). Then what ECS and CloudWatch would do behind the built services: each service's
  tasks registered in its target group (the emulator's ECS runs no tasks), and the figures the ALB and Container
  Insights publish every minute (RequestCount, HealthyHostCount, RunningTaskCount) put with PutMetricData from
  what the emulator reports (the emulator emits no metric of its own). ALB 5xx counts are not put: the ALB
  publishes them only for minutes that had such answers.
- health: an HTTP /api/health answering 200, standing in for the application the emulated ALB cannot reach;
  with-health runs a command (verify.yml) with one on a free port, passed as -e verify_health_url=<its URL>.

Nothing here is for a real account: there, the images come from CI, ECS registers its tasks, and AWS emits the metrics.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import http.server
import io
import ipaddress
import json
import os
import subprocess
import sys
import tarfile
import threading

import boto3

REPOSITORIES = ("backend", "frontend")
MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(blob: bytes) -> str:
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def _layer(repository: str, tag: str) -> tuple[bytes, bytes]:
    """(gzipped layer, its uncompressed tar): one file naming the release, byte-for-byte reproducible."""
    content = ("%s %s\n" % (repository, tag)).encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo("release")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        archive.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0), raw.getvalue()


def _upload(ecr, repository: str, blob: bytes) -> str:
    upload = ecr.initiate_layer_upload(repositoryName=repository)
    ecr.upload_layer_part(repositoryName=repository, uploadId=upload["uploadId"], partFirstByte=0,
                          partLastByte=len(blob) - 1, layerPartBlob=blob)
    digest = _digest(blob)
    ecr.complete_layer_upload(repositoryName=repository, uploadId=upload["uploadId"], layerDigests=[digest])
    return digest


def push_image(ecr, repository: str, tag: str) -> str:
    """The image's digest; pushed unless the tag is already there."""
    try:
        return ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])["imageDetails"][0]["imageDigest"]
    except ecr.exceptions.ImageNotFoundException:
        pass
    layer, tar = _layer(repository, tag)
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {"release": tag}},
                         "rootfs": {"type": "layers", "diff_ids": [_digest(tar)]}}, sort_keys=True).encode()
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST_TYPE,
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config),
                           "digest": _upload(ecr, repository, config)},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer),
                            "digest": _upload(ecr, repository, layer)}]}
    return ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageManifestMediaType=MANIFEST_TYPE,
                         imageTag=tag)["image"]["imageId"]["imageDigest"]


def push_release_images(session, project: str, tag: str) -> dict:
    ecr = session.client("ecr")
    return {name: push_image(ecr, "%s/%s" % (project, name), tag) for name in REPOSITORIES}


def _task_addresses(ec2, subnets: list, count: int) -> list:
    """Addresses in the service's subnets, one per task, spread over them as Fargate spreads tasks over zones."""
    cidrs = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}
    return [str(ipaddress.ip_network(cidrs[subnets[index % len(subnets)]])[10 + index]) for index in range(count)]


def register_tasks(session, cluster: str) -> dict:
    """{target group name: [addresses]}: each service's tasks in its target groups (idempotent)."""
    ecs, ec2, elbv2 = session.client("ecs"), session.client("ec2"), session.client("elbv2")
    registered = {}
    arns = ecs.list_services(cluster=cluster).get("serviceArns", [])
    for service in ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []:
        subnets = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {}).get("subnets", [])
        addresses = _task_addresses(ec2, subnets, service.get("runningCount", 0)) if subnets else []
        for reference in service.get("loadBalancers", []):
            if not addresses:
                continue
            elbv2.register_targets(TargetGroupArn=reference["targetGroupArn"],
                                   Targets=[{"Id": a, "Port": reference["containerPort"]} for a in addresses])
            name = reference["targetGroupArn"].rsplit("/", 2)[-2]
            registered[name] = addresses
    return registered


def _dimension(arn: str) -> str:
    return arn.split(":loadbalancer/", 1)[-1] if ":loadbalancer/" in arn else arn.rsplit(":", 1)[-1]


def put_metrics(session, prefix: str, requests: int = 120) -> list:
    """The figures the ALB and Container Insights would publish for this minute, from what the emulator reports.
    Returns the (namespace, metric, value) put."""
    elbv2, ecs, cloudwatch = session.client("elbv2"), session.client("ecs"), session.client("cloudwatch")
    data = {"AWS/ApplicationELB": [], "ECS/ContainerInsights": []}
    lbs = elbv2.describe_load_balancers(Names=[prefix + "-alb"])["LoadBalancers"]
    for lb in lbs:
        dimensions = [{"Name": "LoadBalancer", "Value": _dimension(lb["LoadBalancerArn"])}]
        data["AWS/ApplicationELB"].append({"MetricName": "RequestCount", "Dimensions": dimensions, "Value": requests,
                                           "Unit": "Count"})
        for group in elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]:
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
            healthy = sum(1 for h in health if h["TargetHealth"]["State"] == "healthy")
            data["AWS/ApplicationELB"].append({
                "MetricName": "HealthyHostCount", "Value": healthy, "Unit": "Count",
                "Dimensions": dimensions + [{"Name": "TargetGroup", "Value": _dimension(group["TargetGroupArn"])}]})
    arns = ecs.list_services(cluster=prefix).get("serviceArns", [])
    for service in ecs.describe_services(cluster=prefix, services=arns)["services"] if arns else []:
        data["ECS/ContainerInsights"].append({
            "MetricName": "RunningTaskCount", "Value": service.get("runningCount", 0), "Unit": "Count",
            "Dimensions": [{"Name": "ClusterName", "Value": prefix}, {"Name": "ServiceName", "Value": service["serviceName"]}]})
    put = []
    for namespace, points in data.items():
        if points:
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=points)
            put += [(namespace, p["MetricName"], p["Value"]) for p in points]
    return put


def release(session, prefix: str, project: str, tag: str) -> dict:
    return {"images": push_release_images(session, project, tag), "targets": register_tasks(session, prefix),
            "metrics": put_metrics(session, prefix)}


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200 if self.path.split("?")[0] == "/api/health" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.local_stack.standins", description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="release images, registered tasks and this minute's metrics")
    rel.add_argument("--prefix", default="life-world-os-local")
    rel.add_argument("--project", default="life-world-os")
    rel.add_argument("--tag", default="local")
    health = commands.add_parser("health", help="serve /api/health (200) until stopped")
    health.add_argument("--port", type=int, default=5080)
    wrapped = commands.add_parser("with-health", help="run a playbook command with a stand-in /api/health")
    wrapped.add_argument("playbook_command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "health":
        http.server.HTTPServer(("127.0.0.1", args.port), _Health).serve_forever()
        return 0
    if args.command == "with-health":
        server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = "http://127.0.0.1:%d/api/health" % server.server_port
            return subprocess.run(args.playbook_command + ["-e", "verify_health_url=" + url], check=False).returncode
        finally:
            server.shutdown()
    # Plain boto3 reads only AWS_DEFAULT_REGION.
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    done = release(boto3.session.Session(), args.prefix, args.project, args.tag)
    print("Stand-ins: images %s; tasks registered in %s; metrics put: %s" % (
        ", ".join("%s %s" % (k, v[:19]) for k, v in done["images"].items()),
        ", ".join(sorted(done["targets"])) or "no target group",
        ", ".join(sorted({metric for _namespace, metric, _value in done["metrics"]}))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
