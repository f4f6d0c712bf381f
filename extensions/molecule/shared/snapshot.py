#!/usr/bin/env python
"""What an emulated account holds, as JSON: the integration tests' census (resources by kind) and the ARN of every
resource the tagging API lists. Molecule's prepare step records it, and nothing_created.yml compares it after check
mode: check mode on an account without the role's resources must leave both unchanged.

Usage: snapshot.py ENDPOINT [OUTPUT]   (without OUTPUT it prints the JSON)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from tests.integration.census import census  # noqa: E402  pylint: disable=wrong-import-position


class Account:
    """The one thing census() asks of an emulator: clients for its endpoint."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def client(self, service: str, region: str = "us-east-1"):
        # One attempt: a call the emulator cannot serve fails the same way every time.
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, config=Config(retries={"max_attempts": 1}),
                            aws_access_key_id="testing", aws_secret_access_key="testing")


# Kinds the census leaves out that the roles create (edge, observability, compute), as (service, call, kwargs,
# result key). An API the emulator does not serve fails and counts as None, the same on both sides.
MORE_KINDS = {
    "waf_web_acl": ("wafv2", "list_web_acls", {"Scope": "REGIONAL"}, "WebACLs"),
    "waf_ip_set": ("wafv2", "list_ip_sets", {"Scope": "REGIONAL"}, "IPSets"),
    "xray_group": ("xray", "get_groups", {}, "Groups"),
    "xray_sampling_rule": ("xray", "get_sampling_rules", {}, "SamplingRuleRecords"),
    "client_vpn_endpoint": ("ec2", "describe_client_vpn_endpoints", {}, "ClientVpnEndpoints"),
    "service_namespace": ("servicediscovery", "list_namespaces", {}, "Namespaces"),
    "query_definition": ("logs", "describe_query_definitions", {}, "queryDefinitions"),
    "scalable_target": ("application-autoscaling", "describe_scalable_targets", {"ServiceNamespace": "ecs"},
                        "ScalableTargets"),
    "iam_policy": ("iam", "list_policies", {"Scope": "Local"}, "Policies"),
    "db_parameter_group": ("rds", "describe_db_parameter_groups", {}, "DBParameterGroups"),
    "db_subnet_group": ("rds", "describe_db_subnet_groups", {}, "DBSubnetGroups"),
}


def count(account: Account, service: str, call: str, kwargs: dict, key: str):
    try:
        return len(getattr(account.client(service), call)(**kwargs)[key])
    except (ClientError, BotoCoreError, ResponseParserError):  # the last: the emulator's HTML error page
        return None


def snapshot(endpoint: str) -> dict:
    account = Account(endpoint)
    tagging = account.client("resourcegroupstaggingapi")
    arns = sorted(resource["ResourceARN"] for page in tagging.get_paginator("get_resources").paginate()
                  for resource in page["ResourceTagMappingList"])
    kinds = dict(census(account), **{kind: count(account, *how) for kind, how in MORE_KINDS.items()})
    return {"census": dict(sorted(kinds.items())), "tagged": arns}


def main(argv: list[str]) -> int:
    text = json.dumps(snapshot(argv[1]), indent=1)
    if len(argv) > 2:
        Path(argv[2]).write_text(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
