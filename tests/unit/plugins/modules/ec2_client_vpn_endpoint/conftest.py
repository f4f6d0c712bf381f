# -*- coding: utf-8 -*-
"""Fixtures for ec2_client_vpn_endpoint: the module's EC2 client is replaced by a Stubber-checked or a fake client.

moto does not implement the Client VPN API, so no request may reach it: every test injects its own client.
"""

import boto3
import pytest
from botocore.stub import Stubber

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.lifeworld.production.plugins.module_utils import ec2_client_vpn

from .fake_ec2 import FakeClientVpnEC2


@pytest.fixture
def env(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def _inject(monkeypatch, client):
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, *args, **kwargs: client)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """The association wait's pauses, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(ec2_client_vpn.time, "sleep", slept.append)
    return slept


@pytest.fixture
def stubber(env, monkeypatch):
    """A real EC2 client whose every request and response is checked against the EC2 model by Stubber."""
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    stub = Stubber(client)
    _inject(monkeypatch, client)
    with stub:
        yield stub
    stub.assert_no_pending_responses()


@pytest.fixture
def fake(env, monkeypatch):
    client = FakeClientVpnEC2()
    _inject(monkeypatch, client)
    return client
