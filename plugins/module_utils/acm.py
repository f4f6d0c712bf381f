# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for ACM certificate requests, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleACMError``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

import hashlib
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry

# Certificates that are, or may still become, usable. FAILED, EXPIRED, REVOKED, INACTIVE and
# VALIDATION_TIMED_OUT ones are never reused: a new request replaces them.
USABLE_STATUSES = ("ISSUED", "PENDING_VALIDATION")


class AnsibleACMError(AnsibleAWSError):
    pass


class ACMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleACMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


@ACMErrorHandler.list_error_handler("list certificates", [])
@aws_retry()
def list_certificates(client, statuses=USABLE_STATUSES) -> List[Dict[str, Any]]:
    paginator = client.get_paginator("list_certificates")
    return paginator.paginate(CertificateStatuses=list(statuses)).build_full_result()["CertificateSummaryList"]


@ACMErrorHandler.list_error_handler("describe certificate")
@aws_retry()
def describe_certificate(client, arn: str) -> Optional[Dict[str, Any]]:
    return client.describe_certificate(CertificateArn=arn)["Certificate"]


@ACMErrorHandler.list_error_handler("list certificate tags", {})
@aws_retry()
def get_certificate_tags(client, arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_certificate(CertificateArn=arn).get("Tags", []))


@ACMErrorHandler.common_error_handler("tag certificate")
@aws_retry()
def add_certificate_tags(client, arn: str, tags: Dict[str, str]) -> None:
    client.add_tags_to_certificate(CertificateArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


@ACMErrorHandler.common_error_handler("untag certificate")
@aws_retry()
def remove_certificate_tags(client, arn: str, keys: List[str]) -> None:
    client.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": key} for key in keys])


@ACMErrorHandler.common_error_handler("request certificate")
@aws_retry()
def request_certificate(client, **params: Any) -> str:
    return client.request_certificate(**params)["CertificateArn"]


@ACMErrorHandler.deletion_error_handler("delete certificate")
@aws_retry(["ResourceInUseException"])
def delete_certificate(client, arn: str) -> bool:
    client.delete_certificate(CertificateArn=arn)
    return True


def idempotency_token(domain_name: str, alternative_names: List[str]) -> str:
    """The same request retried within an hour returns the same certificate instead of a second one."""
    digest = hashlib.sha256("|".join([domain_name] + sorted(alternative_names)).encode()).hexdigest()
    return digest[:32]


def requested_names(domain_name: str, alternative_names: Optional[List[str]]) -> List[str]:
    """The certificate's full name set, as ACM reports it: the domain first, then the other SANs sorted."""
    others = sorted(set(alternative_names or []) - {domain_name})
    return [domain_name] + others


def find_certificates(client, domain_name: str, alternative_names: List[str], statuses=USABLE_STATUSES):
    """Described certificates whose domain and full SAN set match, best first (ISSUED, then newest)."""
    wanted = set(requested_names(domain_name, alternative_names))
    matches = []
    for summary in list_certificates(client, statuses):
        if summary.get("DomainName") != domain_name:
            continue
        certificate = describe_certificate(client, summary["CertificateArn"])
        if not certificate:
            continue
        names = set(certificate.get("SubjectAlternativeNames") or [domain_name])
        if names == wanted:
            matches.append(certificate)
    matches.sort(
        key=lambda c: (c.get("Status") == "ISSUED", str(c.get("CreatedAt") or c.get("IssuedAt") or "")), reverse=True
    )
    return matches


def validation_records(certificate: Optional[Dict[str, Any]]) -> List[Dict[str, str]]:
    """The distinct DNS records ACM asks for (a wildcard and its apex share one), in a stable order."""
    records = {}
    for option in (certificate or {}).get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if record:
            records[record["Name"]] = {"name": record["Name"], "type": record["Type"], "value": record["Value"]}
    return [records[name] for name in sorted(records)]


def records_pending(certificate: Optional[Dict[str, Any]]) -> bool:
    """ACM fills in the validation records a few seconds after the request."""
    options = (certificate or {}).get("DomainValidationOptions") or []
    return not options or any(not option.get("ResourceRecord") for option in options)
