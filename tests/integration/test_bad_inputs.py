# -*- coding: utf-8 -*-
"""The bad-input catalogue: invalid inventories across every role, each failing before any AWS call with a
message that names the variable, and leaving the emulator empty.

Runs go four at a time; the emulator's request log proves that none of them reached AWS.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest

from .harness import api_calls_seen, run_playbook

PROD = {"lifeworld_environment": "production"}
CATALOGUE = [
    # (tags, inventory overrides, the variable the message must name)
    ("network", {"vpc_cidr": "10.40.0.0/33"}, "vpc_cidr"),
    ("network", {"vpc_cidr": "10.40.0.1/16"}, "vpc_cidr"),
    ("network", {"vpc_public_subnet_cidrs": ["10.40.0.0/24", "10.41.1.0/24"]}, "vpc_public_subnet_cidrs[1]"),
    ("network", {"vpc_isolated_subnet_cidrs": ["10.40.20.0/24", "10.40.0.0/25"]}, "vpc_isolated_subnet_cidrs[1]"),
    ("network", {"vpc_availability_zone_ids": ["use1-az1", "use1-az1"]}, "vpc_availability_zone_ids"),
    ("network", {"vpc_nat_mode": "per_region"}, "vpc_nat_mode"),
    ("network", {"vpc_flow_logs_traffic_type": "SOME"}, "vpc_flow_logs_traffic_type"),
    ("security", {"security_groups_allowed_cidrs": ["0.0.0.0/0"]}, "security_groups_allowed_cidrs"),
    ("security", {"security_groups_allowed_cidrs": ["203.0.113.0/99"]}, "security_groups_allowed_cidrs"),
    ("security", {"security_groups_access_mode": "vpn"}, "security_groups_access_mode"),
    ("security", {"security_groups_access_mode": "client_vpn", "security_groups_client_vpn_cidr": ""},
     "security_groups_client_vpn_cidr"),
    ("security", {"kms_single_key": "perhaps"}, "kms_single_key"),
    ("security", {"iam_task_role_statements": "s3:*"}, "iam_task_role_statements"),
    ("data", {"rds_engine_version": "sixteen"}, "rds_engine_version"),
    ("data", {"rds_backup_retention_days": 40}, "rds_backup_retention_days"),
    ("data", {"rds_backup_retention_days": 0}, "rds_backup_retention_days"),
    ("data", {"rds_instance_class": "t3.medium"}, "rds_instance_class"),
    ("data", {"rds_master_secret_name": ""}, "rds_master_secret_name"),
    ("data", {"rds_backup_window": "25:00-25:30"}, "rds_backup_window"),
    ("registry", {"ecr_keep_images": 0}, "ecr_keep_images"),
    ("compute", {"ecs_min_tasks": 5, "ecs_max_tasks": 3}, "ecs_min_tasks"),
    ("compute", {"ecs_desired_count": 20}, "ecs_desired_count"),
    ("compute", {"ecs_backend_cpu": 256, "ecs_backend_memory": 4096}, "ecs_backend"),
    ("compute", {"ecs_frontend_cpu": 300}, "ecs_frontend_cpu"),
    ("edge", {"route53_record_name": "app.elsewhere.example.org"}, "route53_record_name"),
    ("edge", {"alb_ssl_policy": "TLS-anything-goes"}, "alb_ssl_policy"),
    ("edge", {"alb_access_mode": "vpn"}, "alb_access_mode"),
    ("edge", {"waf_enabled": True, "waf_rate_limit": 5}, "waf_rate_limit"),
    ("observability", {"cloudwatch_app_log_retention_days": 13}, "cloudwatch_app_log_retention_days"),
    ("observability", {"cloudwatch_alarms": {"ecs_cpu_high": {"threshold": 180}}}, "ecs_cpu_high"),
    ("observability", {"cloudwatch_alarms": {"alb_latency_p95": {"threshold": 1, "statistic": "Median"}}},
     "alb_latency_p95"),
    ("observability", dict(PROD, cloudwatch_alert_subscriptions=[]), "cloudwatch_alert_subscriptions"),
]


@pytest.fixture(scope="module")
def outcomes(emulator):
    emulator.reset()
    before = api_calls_seen(emulator)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda case: run_playbook(emulator, tags=case[0], extra_vars=case[1]), CATALOGUE))
    return {"runs": runs, "calls": api_calls_seen(emulator) - before,
            "vpcs": emulator.client("ec2").describe_vpcs(Filters=[{"Name": "tag:ManagedBy", "Values": ["ansible"]}])["Vpcs"]}


def test_catalogue_has_at_least_thirty_cases_across_roles():
    assert len(CATALOGUE) >= 30
    assert {case[0] for case in CATALOGUE} >= {"network", "security", "data", "registry", "compute", "edge",
                                               "observability"}


@pytest.mark.parametrize("index", range(len(CATALOGUE)), ids=["%s:%s" % (c[0], c[2]) for c in CATALOGUE])
def test_bad_input_fails_naming_the_variable(outcomes, index):
    tags, override, variable = CATALOGUE[index]
    run = outcomes["runs"][index]
    assert run.rc != 0, "%s was accepted with --tags %s" % (override, tags)
    assert variable in run.stdout + run.stderr, "the failure does not name %s:\n%s" % (variable, run.tail(2500))


def test_no_bad_input_reached_aws(outcomes):
    assert outcomes["calls"] == 0, "%d AWS calls were made by runs that should have stopped at validation" % outcomes["calls"]
    assert outcomes["vpcs"] == []
