#!/usr/bin/env python
"""The ARN of the issued ACM certificate of a domain name in an (emulated) account, or nothing: for inventory
variables that name a certificate the acm role requested (the Client VPN scenario's server certificate), which no
lookup plugin of amazon.aws reads.

Usage: certificate_arn.py ENDPOINT DOMAIN
"""

from __future__ import annotations

import sys

import boto3


def certificate_arn(endpoint: str, domain: str) -> str:
    acm = boto3.client("acm", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    issued = [c["CertificateArn"] for page in acm.get_paginator("list_certificates").paginate(
        CertificateStatuses=["ISSUED"]) for c in page["CertificateSummaryList"] if c["DomainName"] == domain]
    return issued[0] if issued else ""


if __name__ == "__main__":
    print(certificate_arn(sys.argv[1], sys.argv[2]))
