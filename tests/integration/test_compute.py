# -*- coding: utf-8 -*-
"""The registry and compute tiers (ECR, ECS Fargate, Cloud Map, auto scaling), built by real ansible-playbook runs
against the emulator and read back with boto3.

The emulator does not pull images or run containers: what is proven here is the shape AWS is asked for (and
keeps), convergence, check mode, lookups by name for a run of its own, and validation before any AWS call.

The second run is the `site` group's whole-site one (tests/integration/conftest.py: site.second_run()), read
play by play; this module also holds its changed=0. Check mode on an empty account is test_empty_account.py's
(the whole-site check, off the `site` worker). Compute alone (a run of its own on the built stack) and
`--tags registry,compute --check` on the converged stack stay tagged runs: they are what shows the tiers' partial
runs work.
"""

import json
import re

import pytest

from .harness import SITE_GROUP, api_calls_seen, run_playbook

pytestmark = pytest.mark.xdist_group(SITE_GROUP)

PREFIX = "life-world-os-local"
CLUSTER = PREFIX
SERVICES = ("backend", "frontend")
REPOSITORIES = ("life-world-os/backend", "life-world-os/frontend")
NAMESPACE = "local.life-world-os.internal"
SECRET_LOOKING = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)


def _compute_resources(emulator):
    """Everything registry and compute create, to prove a run created none of it."""
    ecs = emulator.client("ecs")
    return {
        "clusters": ecs.list_clusters()["clusterArns"],
        "task_definitions": ecs.list_task_definitions()["taskDefinitionArns"],
        "repositories": emulator.client("ecr").describe_repositories()["repositories"],
        "namespaces": emulator.client("servicediscovery").list_namespaces()["Namespaces"],
        "scalable_targets": emulator.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="ecs")["ScalableTargets"],
    }


@pytest.fixture(scope="module")
def compute(emulator, site):
    """Every tier (the shared site build) → site.yml again (the group's one whole-site second run) → compute alone
    → registry,compute --check. Check mode on an empty account: test_empty_account.py."""
    runs = {"first": site.build()}
    second = site.second_run()
    runs["second"], runs["registry_second"], runs["compute_second"] = (second.run, second.play("Registry"),
                                                                       second.play("Compute"))
    # A fresh process with only the compute tag: every parent is found by name, none from an earlier play's facts
    # (which the whole-site second run cannot show: its earlier plays run first).
    runs["compute_alone"] = run_playbook(emulator, tags="compute")
    runs["check_converged"] = run_playbook(emulator, tags="registry,compute", check=True, diff=True)
    assert runs["first"].rc == 0, runs["first"].tail()
    ecs = emulator.client("ecs")
    runs["services"] = {s["serviceName"]: s for s in ecs.describe_services(cluster=CLUSTER, services=list(SERVICES))["services"]}
    runs["task_definitions"] = {
        name: ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
        for name, s in runs["services"].items()
    }
    return runs


def test_first_run_converges(compute):
    assert compute["first"].changed > 0


def test_second_whole_site_run_changes_nothing(compute):
    """The site's only whole-site idempotence check (it was test_demo's, on the demo's environment): every step of
    site.yml run again on the shared build, in one process, changes nothing. Per-tier second runs cannot see one
    play undoing another's work (the cloudwatch role runs twice inside site.yml)."""
    run = compute["second"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "second site.yml run is not a no-op: %s" % run.changed_tasks()


def test_compute_alone_against_the_built_environment_changes_nothing(compute):
    run = compute["compute_alone"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "not idempotent: %s" % run.changed_tasks()


def test_registry_second_run_changes_nothing(compute):
    """From the whole-site second run: the registry's play ran its tasks and none reported a change (and compute's,
    besides the compute-alone run above)."""
    assert compute["second"].rc == 0, compute["second"].tail()
    for play in (compute["registry_second"], compute["compute_second"]):
        assert play.tasks, play
        assert play.changed == [], "not idempotent: %s" % play.changed
    assert compute["registry_second"].ran("ecr : Ensure the repositories exist, scanned on push, with immutable tags")


def test_check_mode_on_the_converged_stack_changes_nothing(compute):
    run = compute["check_converged"]
    assert run.rc == 0, run.tail()
    assert run.changed == 0, "check mode sees drift: %s" % run.changed_tasks()


def test_repositories_scan_on_push_immutable_kms_and_lifecycle(emulator, compute):
    ecr = emulator.client("ecr")
    repositories = {r["repositoryName"]: r for r in ecr.describe_repositories(repositoryNames=list(REPOSITORIES))["repositories"]}
    secrets_key = emulator.client("kms").describe_key(KeyId="alias/%s-secrets" % PREFIX)["KeyMetadata"]["Arn"]
    for name, repository in repositories.items():
        assert repository["imageTagMutability"] == "IMMUTABLE", name
        assert repository["imageScanningConfiguration"]["scanOnPush"] is True, name
        assert repository["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": secrets_key}, name
        rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])["rules"]
        assert [r["selection"]["countNumber"] for r in rules] == [10], rules  # ecr_keep_images of the local inventory
        assert rules[0]["selection"]["countType"] == "imageCountMoreThan" and rules[0]["action"]["type"] == "expire"
        tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]}
        assert tags.get("Component") == "registry" and tags.get("ManagedBy") == "ansible", (name, tags)


def test_cluster_has_container_insights_on_fargate(emulator, compute):
    [cluster] = emulator.client("ecs").describe_clusters(clusters=[CLUSTER], include=["SETTINGS"])["clusters"]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    assert "FARGATE" in cluster["capacityProviders"]


def test_each_service_runs_two_tasks_in_private_subnets_of_two_zones_without_public_ips(emulator, compute):
    ec2 = emulator.client("ec2")
    sg = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [PREFIX + "-ecs"]}])["SecurityGroups"]
    for name in SERVICES:
        service = compute["services"][name]
        assert service["desiredCount"] == 2, name
        assert service["launchType"] == "FARGATE", name
        network = service["networkConfiguration"]["awsvpcConfiguration"]
        assert network["assignPublicIp"] == "DISABLED", name
        assert network["securityGroups"] == [sg[0]["GroupId"]], name
        subnets = ec2.describe_subnets(SubnetIds=network["subnets"])["Subnets"]
        assert len({s["AvailabilityZone"] for s in subnets}) >= 2, name
        assert all({t["Key"]: t["Value"] for t in s["Tags"]}.get("Tier") == "private" for s in subnets), name


def test_services_deploy_with_circuit_breaker_rollback_and_grace_period(compute):
    for name in SERVICES:
        service = compute["services"][name]
        deployment = service["deploymentConfiguration"]
        assert deployment["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, name
        assert (deployment["minimumHealthyPercent"], deployment["maximumPercent"]) == (100, 200), name
        assert service["healthCheckGracePeriodSeconds"] == 60, name


def test_services_are_registered_with_the_alb_target_groups_and_cloud_map(emulator, compute):
    elbv2 = emulator.client("elbv2")
    groups = {g["TargetGroupName"]: g["TargetGroupArn"]
              for g in elbv2.describe_target_groups(Names=[PREFIX + "-be", PREFIX + "-fe"])["TargetGroups"]}
    discovery = emulator.client("servicediscovery")
    [namespace] = [n for n in discovery.list_namespaces()["Namespaces"] if n["Name"] == NAMESPACE]
    assert namespace["Type"] == "DNS_PRIVATE"
    registry = {s["Name"]: s["Arn"] for s in discovery.list_services(
        Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace["Id"]]}])["Services"]}
    for name, group, port in (("backend", PREFIX + "-be", 3001), ("frontend", PREFIX + "-fe", 80)):
        service = compute["services"][name]
        assert service["loadBalancers"] == [{"targetGroupArn": groups[group], "containerName": name, "containerPort": port}]
        assert [r["registryArn"] for r in service["serviceRegistries"]] == [registry[name]]


def test_secrets_only_via_secrets_never_in_plain_environment(emulator, compute):
    secrets = {s["Name"]: s["ARN"] for s in emulator.client("secretsmanager").list_secrets()["SecretList"]}
    backend = compute["task_definitions"]["backend"]["containerDefinitions"][0]
    injected = {s["name"]: s["valueFrom"] for s in backend["secrets"]}
    # The master credentials from the secret RDS manages and rotates; host, port and database from db-master.
    assert set(injected) == {"JWT_SECRET", "DB_USERNAME", "DB_PASSWORD", "DB_HOST", "DB_PORT", "DB_NAME", "API_KEYS"}
    assert injected["JWT_SECRET"] == secrets["life-world-os/local/jwt-secret"]
    managed = emulator.client("rds").describe_db_instances(DBInstanceIdentifier=PREFIX + "-db")["DBInstances"][0]
    assert injected["DB_PASSWORD"] == managed["MasterUserSecret"]["SecretArn"] + ":password::"
    assert injected["DB_USERNAME"] == managed["MasterUserSecret"]["SecretArn"] + ":username::"
    for variable, key in (("DB_HOST", "host"), ("DB_PORT", "port"), ("DB_NAME", "dbname")):
        assert injected[variable] == secrets["life-world-os/local/db-master"] + ":%s::" % key
    secret_values = set()
    sm = emulator.client("secretsmanager")
    for arn in secrets.values():
        value = sm.get_secret_value(SecretId=arn)["SecretString"]
        secret_values.add(value)
        try:
            secret_values.update(str(v) for v in json.loads(value).values())
        except (ValueError, AttributeError):
            pass
    for name, definition in compute["task_definitions"].items():
        for container in definition["containerDefinitions"]:
            for variable in container.get("environment", []):
                assert not SECRET_LOOKING.search(variable["name"]), (name, variable)
                assert variable["value"] not in secret_values, (name, variable["name"])


def test_task_definitions_are_hardened_fargate_with_awslogs_and_health_checks(compute):
    for name in SERVICES:
        definition = compute["task_definitions"][name]
        assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
        assert (definition["cpu"], definition["memory"]) == ("256", "512"), name
        assert definition["executionRoleArn"].endswith(":role/%s-ecs-task-execution" % PREFIX)
        assert definition["taskRoleArn"].endswith(":role/%s-ecs-task" % PREFIX)
        app = definition["containerDefinitions"][0]
        assert app["name"] == name and app["image"].endswith("/life-world-os/%s:local" % name)
        assert app["readonlyRootFilesystem"] is True, name
        assert app["user"].split(":")[0] not in ("0", "root"), name
        assert app["healthCheck"]["command"][0] == "CMD-SHELL", name
        assert app["logConfiguration"]["logDriver"] == "awslogs"
        assert app["logConfiguration"]["options"]["awslogs-group"] == "/ecs/%s/%s" % (PREFIX, name)
        volumes = {v["name"] for v in definition["volumes"]}
        assert {m["sourceVolume"] for m in app["mountPoints"]} == volumes and "/tmp" in {m["containerPath"] for m in app["mountPoints"]}
        # ecs_xray_enabled is true in the local inventory
        xray = [c for c in definition["containerDefinitions"] if c["name"] == "xray-daemon"]
        assert xray and xray[0]["essential"] is False
    frontend_paths = {m["containerPath"] for m in compute["task_definitions"]["frontend"]["containerDefinitions"][0]["mountPoints"]}
    assert {"/var/cache/nginx", "/var/run"} <= frontend_paths


def test_scalable_targets_2_to_10_with_cpu_and_memory_policies(emulator, compute):
    scaling = emulator.client("application-autoscaling")
    targets = {t["ResourceId"]: t for t in scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]}
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    for name in SERVICES:
        resource = "service/%s/%s" % (CLUSTER, name)
        assert (targets[resource]["MinCapacity"], targets[resource]["MaxCapacity"]) == (2, 10)
        metrics = sorted(
            p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"]
            for p in policies if p["ResourceId"] == resource and p["PolicyType"] == "TargetTrackingScaling"
        )
        assert metrics == ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"], name


# Semantic checks report every problem at once, so one run can prove several variables are named.
BAD_INPUTS = [
    ({"ecs_min_tasks": 11, "ecs_max_tasks": 10}, ["ecs_min_tasks"]),
    ({"ecs_desired_count": 12}, ["ecs_desired_count"]),
    ({"ecs_backend_cpu": 256, "ecs_backend_memory": 4096, "ecs_frontend_user": "root",
      "ecs_backend_environment": {"NODE_ENV": "production", "DB_PASSWORD": "hunter2"}},
     ["ecs_backend_cpu/ecs_backend_memory", "ecs_frontend_user", "ecs_backend_environment"]),
    ({"ecs_frontend_cpu": 300}, ["ecs_frontend_cpu"]),
    ({"ecr_keep_images": 0}, ["ecr_keep_images"]),
]


@pytest.mark.parametrize("override,variables", BAD_INPUTS, ids=[",".join(entry[1]) for entry in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(emulator, playbook, override, variables):
    calls_before = api_calls_seen(emulator)
    # Each tier validates its own inputs first; an earlier tier in the same run would make its own calls.
    run = playbook(tags="registry" if variables[0].startswith("ecr_") else "compute", extra_vars=override)
    assert run.rc != 0
    for variable in variables:
        assert variable in run.stdout, "the failure should name %s:\n%s" % (variable, run.tail())
    assert "hunter2" not in run.stdout
    assert api_calls_seen(emulator) == calls_before, "an AWS call was made before validation failed"
