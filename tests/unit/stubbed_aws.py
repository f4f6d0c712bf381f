# -*- coding: utf-8 -*-
"""botocore Stubber for modules whose API the moto emulator lacks (Logs Insights query definitions, X-Ray).

``stubbed_client(monkeypatch, service)`` returns ``(client, stubber)``: every ``module.client(...)`` call of an
AnsibleAWSModule then gets this client. Stubber checks each expected call's parameters and each canned response
against the real AWS API model, and fails on any call that was not expected, so a test also proves which calls
a module makes (and that check mode makes no mutating one).
"""

import boto3
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def stubbed_client(monkeypatch, service):
    client = boto3.client(service, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    stubber = Stubber(client)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, *args, **kwargs: client)
    stubber.activate()
    return client, stubber
