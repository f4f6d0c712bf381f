# -*- coding: utf-8 -*-
"""module_utils.iam.retry_while_propagating: which answers count as IAM propagation, and the time bound."""

import pytest
from botocore.exceptions import ClientError

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.lifeworld.production.plugins.module_utils import iam


def client_error(code, message):
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


class Flaky:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


@pytest.mark.parametrize("code, message", [
    ("InvalidParameterException", "Unable to assume the service linked role. Please verify that the ECS service "
                                  "linked role exists."),
    ("InvalidParameter", "Unable to assume given IAM role: 'arn:aws:iam::123456789012:role/flow-logs'"),
    ("InvalidParameterValue", "IAM role ARN value is invalid or does not include the required permissions for: "
                              "ENHANCED_MONITORING"),
])
def test_known_propagation_errors_are_retried(code, message):
    call = Flaky(client_error(code, message), AnsibleAWSError(message="Failed", exception=client_error(code, message)))
    slept = []

    assert iam.retry_while_propagating(call, sleep=slept.append, clock=lambda: 0) == "done"
    assert call.calls == 3
    assert slept == [5, 5]


def test_a_per_resource_failure_message_is_recognised():
    # EC2 CreateFlowLogs may report the error per resource (Unsuccessful), quoted in the raised message.
    error = AnsibleAWSError(message="Failed to create flow log: vpc-1: InvalidParameter Unable to assume given IAM role")
    assert iam.is_propagation_error(error)


def test_same_code_other_message_is_not_retried():
    call = Flaky(client_error("InvalidParameterException", "Subnet subnet-1 does not exist"))
    with pytest.raises(ClientError):
        iam.retry_while_propagating(call, sleep=lambda s: None, clock=lambda: 0)
    assert call.calls == 1


def test_the_error_goes_through_when_time_is_up():
    error = client_error("InvalidParameter", "Unable to assume given IAM role: 'x'")
    call = Flaky(*[error] * 50)
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    with pytest.raises(ClientError):
        iam.retry_while_propagating(call, timeout=30, delay=10, sleep=sleep, clock=lambda: now[0])
    # Tries at 0, 10, 20 and 30 s; a fifth would start after the 30 s budget.
    assert call.calls == 4
    assert now[0] == 30
