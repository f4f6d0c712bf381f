# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The edge's logging rules of the hardening check (ALB access logs, WAF logging) and the read calls they need.

Rules are pure functions over describe-call answers (unit-tested on plain dicts, as in ``hardening``); the read
calls below them are describe/get/list only, with the hardening check's error handling (``hardening_describe``).
"""

from typing import Any
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import PUBLIC_ACCESS_BLOCKS
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import finding
from ansible_collections.lifeworld.production.plugins.module_utils.hardening import not_checkable
from ansible_collections.lifeworld.production.plugins.module_utils.hardening_describe import HardeningErrorHandler

# Headers whose values are credentials or session tokens: WAF must write them as REDACTED.
SECRET_HEADERS = ("authorization", "cookie")
WAF_LOG_PREFIX = "aws-waf-logs-"
FIX_EDGE = "rerun site.yml --tags edge"


# --- rules ---------------------------------------------------------------------------------------------------


def check_alb_access_logs(name: str, attributes: Dict[str, str], encryption: Optional[List[Dict[str, Any]]],
                          public_access: Optional[Dict[str, Any]], expected: bool = True) -> List[Dict[str, str]]:
    """``attributes``: describe_load_balancer_attributes as a dict; ``encryption``: the access-log bucket's default
    encryption rules (None: none, or no bucket); ``public_access``: its public access block (None: none).

    Access logs on, to a bucket encrypted with SSE-S3 (ELB delivers nothing to an SSE-KMS bucket) that blocks
    public access."""
    if not expected:
        return []
    if "access_logs.s3.enabled" not in attributes:
        return [not_checkable(name, "ALB access logs on", "the endpoint does not report access_logs.s3.enabled")]
    if str(attributes["access_logs.s3.enabled"]).lower() != "true" or not attributes.get("access_logs.s3.bucket"):
        return [finding(name, "ALB access logs on", "access_logs.s3.enabled=%s, bucket=%r"
                        % (attributes["access_logs.s3.enabled"], attributes.get("access_logs.s3.bucket", "")),
                        FIX_EDGE + " (alb_access_logs_enabled: true)")]
    bucket = attributes["access_logs.s3.bucket"]
    out = []
    algorithms = sorted({(rule.get("ApplyServerSideEncryptionByDefault") or {}).get("SSEAlgorithm", "")
                         for rule in encryption or []})
    if not algorithms or algorithms == [""]:
        out.append(finding(bucket, "access-log bucket encrypted", "no default encryption", FIX_EDGE))
    elif algorithms != ["AES256"]:
        out.append(finding(bucket, "access-log bucket encrypted", "SSEAlgorithm=%s: ELB access-log delivery supports "
                           "only SSE-S3 (AES256) and delivers nothing here" % ", ".join(algorithms), FIX_EDGE))
    if public_access is None:
        out.append(finding(bucket, "access-log bucket blocks public access", "no public access block", FIX_EDGE))
    else:
        open_ = [flag for flag in PUBLIC_ACCESS_BLOCKS if public_access.get(flag) is not True]
        if open_:
            out.append(finding(bucket, "access-log bucket blocks public access", "off: %s" % ", ".join(open_), FIX_EDGE))
    return out


def _destination_name(arn: str) -> str:
    """The log group, bucket or stream name of a WAF log destination ARN."""
    for marker in (":log-group:", ":::", ":deliverystream/"):
        if marker in arn:
            return arn.split(marker, 1)[1].split(":", 1)[0].split("/", 1)[0]
    return arn


def check_waf_logging(name: str, web_acl: Optional[Dict[str, Any]], logging: Optional[Dict[str, Any]],
                      expected: bool = False, redacted: Iterable[str] = SECRET_HEADERS) -> List[Dict[str, str]]:
    """``web_acl``: the web ACL's list_web_acls summary (None when missing); ``logging``: its logging configuration
    (None when it logs nowhere). A web ACL that exists logs, to an aws-waf-logs-* destination, with the
    credential headers redacted; ``expected``: the inventory builds one (waf_enabled), so a missing one is a finding."""
    if web_acl is None:
        return [finding(name, "web ACL exists", "no such web ACL", FIX_EDGE + " (waf_enabled: true)")] if expected else []
    if not logging:
        return [finding(name, "WAF logging on", "no logging configuration", FIX_EDGE + " (waf_logging_enabled: true)")]
    out = []
    destinations = logging.get("LogDestinationConfigs") or []
    wrong = [arn for arn in destinations if not _destination_name(arn).startswith(WAF_LOG_PREFIX)]
    if not destinations or wrong:
        out.append(finding(name, "WAF logging on", "destination %s" % (", ".join(wrong) or "none"), FIX_EDGE))
    seen = {(field.get("SingleHeader") or {}).get("Name", "").lower() for field in logging.get("RedactedFields") or []}
    missing = sorted(set(header.lower() for header in redacted) - seen)
    if missing:
        out.append(finding(name, "WAF logs redact credentials", "header(s) logged in clear: %s" % ", ".join(missing),
                           FIX_EDGE + " (waf_logging_redacted_headers)"))
    return out


# --- read calls ----------------------------------------------------------------------------------------------

# S3's and WAF's "there is none" answers: the rules above report them as findings, never as errors.
NONE_CODES = ["NoSuchBucket", "ServerSideEncryptionConfigurationNotFoundError", "NoSuchPublicAccessBlockConfiguration",
              "WAFNonexistentItemException"]


@HardeningErrorHandler.common_error_handler("read the access-log bucket's encryption")
def bucket_encryption(client, bucket: str) -> Optional[List[Dict[str, Any]]]:
    try:
        answer = aws_retry()(client.get_bucket_encryption)(Bucket=bucket)
    except is_boto3_error_code(NONE_CODES):
        return None
    return answer["ServerSideEncryptionConfiguration"].get("Rules", [])


@HardeningErrorHandler.common_error_handler("list the regional web ACLs")
def web_acl(client, name: str) -> Optional[Dict[str, Any]]:
    """The regional web ACL named ``name`` (its list_web_acls summary), None when there is none. WAFv2 has no
    paginator for ListWebACLs: NextMarker is followed by hand."""
    params = {"Scope": "REGIONAL", "Limit": 100}
    while True:
        answer = aws_retry()(client.list_web_acls)(**params)
        for summary in answer.get("WebACLs", []):
            if summary.get("Name") == name:
                return summary
        if not answer.get("NextMarker") or not answer.get("WebACLs"):
            return None
        params["NextMarker"] = answer["NextMarker"]


@HardeningErrorHandler.common_error_handler("read the web ACL's logging configuration")
def waf_logging(client, arn: str) -> Optional[Dict[str, Any]]:
    try:
        return aws_retry()(client.get_logging_configuration)(ResourceArn=arn)["LoggingConfiguration"]
    except is_boto3_error_code(NONE_CODES):
        return None
