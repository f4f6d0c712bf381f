# -*- coding: utf-8 -*-
"""iam_propagating: the registered results of upstream modules that failed because IAM had not propagated a role
(the answers real AWS gives, which the emulator never does) are retried; every other failure is not."""

import pytest

from ansible_collections.lifeworld.production.plugins.filter.propagation import iam_propagating

RDS_MONITORING = ("IAM role ARN value is invalid or does not include the required permissions for: "
                  "ENHANCED_MONITORING")


def failed(code, message, operation="CreateDBInstance"):
    # What amazon.aws's fail_json_aws registers: msg with the botocore text, and the error as snake_case.
    return {"failed": True,
            "msg": f"Failed to create: An error occurred ({code}) when calling the {operation} operation: {message}",
            "error": {"code": code, "message": message}}


@pytest.mark.parametrize("result", [
    failed("InvalidParameterValue", RDS_MONITORING),
    failed("InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn",
           "CreateService"),
    {"failed": True, "msg": "An error occurred (InvalidParameterValue) when calling the CreateDBInstance operation: "
                            + RDS_MONITORING},
])
def test_propagation_answers_are_retried(result):
    assert iam_propagating(result) is True


@pytest.mark.parametrize("result", [
    {"changed": True},
    {"failed": False, "msg": RDS_MONITORING},
    failed("InvalidParameterValue", "Invalid DB engine version 16.4"),
    failed("InvalidParameterCombination", "RDS does not support creating a DB instance with the following "
                                          "combination: ENHANCED_MONITORING"),
    None,
])
def test_everything_else_is_not(result):
    assert iam_propagating(result) is False
