# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls and comparisons for the simple-routing record sets of one Route 53 name.

Errors surface as ``AnsibleRoute53Error``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class AnsibleRoute53Error(AnsibleAWSError):
    pass


class Route53ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRoute53Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NoSuchHostedZone", "NoSuchChange"])


def fqdn(name: Optional[str]) -> str:
    """Route 53's spelling of a name: lower case with the trailing dot."""
    return str(name or "").strip().lower().rstrip(".") + "."


@Route53ErrorHandler.list_error_handler("list resource record sets", None)
@aws_retry()
def list_name_records(client, zone_id: str, name: str) -> Optional[List[Dict[str, Any]]]:
    """Every record set published under ``name`` (None when the zone does not exist)."""
    wanted = fqdn(name)
    records = []
    params = {"HostedZoneId": zone_id, "StartRecordName": wanted}
    while True:
        page = client.list_resource_record_sets(**params)
        for record in page["ResourceRecordSets"]:
            # Listing starts at the name and runs on in DNS order: the first other name ends ours.
            if fqdn(record["Name"]) != wanted:
                return records
            records.append(record)
        if not page.get("IsTruncated"):
            return records
        params.update(StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"])


@Route53ErrorHandler.common_error_handler("change resource record sets")
@aws_retry(["PriorRequestNotComplete"])
def change_records(client, zone_id: str, changes: List[Dict[str, Any]], comment: str) -> Dict[str, Any]:
    batch = {"Changes": changes}
    if comment:
        batch["Comment"] = comment
    return client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)["ChangeInfo"]


@Route53ErrorHandler.common_error_handler("wait for the change")
def wait_insync(client, change_id: str, timeout: int) -> None:
    delay = 5
    client.get_waiter("resource_record_sets_changed").wait(
        Id=change_id, WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)}
    )


def boto3_record(name: str, spec: Dict[str, Any]) -> Dict[str, Any]:
    """The ResourceRecordSet for one entry of the module's ``records`` option."""
    record = {"Name": fqdn(name), "Type": spec["type"]}
    if spec.get("alias"):
        alias = spec["alias"]
        record["AliasTarget"] = {
            "HostedZoneId": alias["hosted_zone_id"],
            "DNSName": alias["dns_name"],
            "EvaluateTargetHealth": bool(alias.get("evaluate_target_health")),
        }
    else:
        record["TTL"] = spec["ttl"]
        record["ResourceRecords"] = [{"Value": value} for value in spec["values"]]
    return record


def comparable(record: Dict[str, Any]) -> Dict[str, Any]:
    """What makes two record sets of one name and type answer the same (case, trailing dots, value order and a
    load balancer's ``dualstack.`` prefix do not matter)."""
    alias = record.get("AliasTarget")
    if alias:
        target = fqdn(alias["DNSName"])
        target = target[len("dualstack."):] if target.startswith("dualstack.") else target
        return {"type": record["Type"], "alias": target, "alias_zone": alias["HostedZoneId"].upper(),
                "evaluate_target_health": bool(alias.get("EvaluateTargetHealth"))}
    values = [value["Value"] for value in record.get("ResourceRecords", [])]
    if record["Type"] in ("CNAME", "NS", "MX", "SRV", "PTR"):
        values = [value.lower().rstrip(".") for value in values]
    return {"type": record["Type"], "ttl": record.get("TTL"), "values": sorted(values)}


def ansible_record(record: Dict[str, Any]) -> Dict[str, Any]:
    """A record set in the module's snake_case shape (the shape of the ``records`` option)."""
    result = {"name": fqdn(record["Name"]), "type": record["Type"]}
    alias = record.get("AliasTarget")
    if alias:
        result["alias"] = {"dns_name": alias["DNSName"], "hosted_zone_id": alias["HostedZoneId"],
                           "evaluate_target_health": bool(alias.get("EvaluateTargetHealth"))}
    else:
        result["ttl"] = record.get("TTL")
        result["values"] = [value["Value"] for value in record.get("ResourceRecords", [])]
    return result
