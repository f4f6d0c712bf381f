# -*- coding: utf-8 -*-
"""Retries that actually retry.

1. Behaviour: a module runs against moto while a botocore ``before-call`` hook answers the first call of one
   operation with a throttling error (the way AWS does under load); the module must retry and succeed, and the
   hook's call count shows the second attempt. Sleeps of the backoff are recorded instead of slept.
2. Structure: a walk of plugins/ fails on any boto3 client call that no retry covers: outside a function decorated
   with ``aws_retry``/``AWSRetry`` and without ``aws_retry=True``, or on a client created with a ``retry_decorator``
   that is never called with ``aws_retry=True`` (the decorator would do nothing).
"""

import ast
from pathlib import Path

import pytest
from botocore.awsrequest import AWSResponse

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry
from ansible_collections.lifeworld.production.plugins.modules import acm_certificate_request
from ansible_collections.lifeworld.production.plugins.modules import ec2_vpc_flow_log

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"


# --- behaviour ---------------------------------------------------------------------------------------------------

@pytest.fixture
def sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr(cloud.time, "sleep", slept.append)
    return slept


@pytest.fixture
def throttle(monkeypatch):
    """``throttle(service, operation, code, times=1)``: the next ``times`` calls of the operation, by any client a
    module creates, are answered with ``code`` (HTTP 400) before they reach moto. Returns the list of calls seen."""
    calls = []
    plans = {}
    original = AnsibleAWSModule.client

    def client(self, service, *args, **kwargs):
        made = original(self, service, *args, **kwargs)
        for (svc, operation), plan in plans.items():
            if svc == service:
                made.meta.events.register("before-call.%s.%s" % (made.meta.service_model.endpoint_prefix, operation),
                                          _hook(operation, plan))
        return made

    def _hook(operation, plan):
        def hook(**kwargs):
            calls.append(operation)
            if plan["left"] > 0:
                plan["left"] -= 1
                response = AWSResponse("https://example.invalid", 400, {}, None)
                return response, {"Error": {"Code": plan["code"], "Message": "Rate exceeded"},
                                  "ResponseMetadata": {"HTTPStatusCode": 400}}
            return None  # let moto answer
        return hook

    def arrange(service, operation, code, times=1):
        plans[(service, operation)] = {"code": code, "left": times}
        return calls

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    return arrange


def test_acm_module_retries_a_throttlingexception_then_succeeds(aws, run_module, throttle, sleeps, monkeypatch):
    # ThrottlingException is ACM's (and ECS', Logs', Secrets Manager's) spelling: AWSRetry's own list misses it.
    from moto import settings

    monkeypatch.setattr(settings, "ACM_VALIDATION_WAIT", 0)
    calls = throttle("acm", "ListCertificates", "ThrottlingException", times=2)

    result = run_module(acm_certificate_request, {"domain_name": "prod.lifeworld.example.com", "wait_delay": 1})

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert calls.count("ListCertificates") >= 3  # two throttled attempts, then the answer
    assert len(sleeps) >= 2
    assert len(aws.client("acm").list_certificates()["CertificateSummaryList"]) == 1


def test_ec2_flow_log_module_retries_requestlimitexceeded_on_create(aws, run_module, throttle, sleeps):
    ec2 = aws.client("ec2")
    aws.client("logs").create_log_group(logGroupName="/lifeworld/test/flow")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    calls = throttle("ec2", "CreateFlowLogs", "RequestLimitExceeded")

    result = run_module(ec2_vpc_flow_log, {"resource_id": vpc_id, "log_group_name": "/lifeworld/test/flow",
                                           "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/fl"})

    assert not result.get("failed"), result.get("msg")
    assert calls.count("CreateFlowLogs") == 2
    assert len(sleeps) == 1
    # the retry created one flow log, not two
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == 1


def test_a_throttle_that_does_not_end_fails_with_the_error(aws, run_module, throttle, sleeps):
    ec2 = aws.client("ec2")
    aws.client("logs").create_log_group(logGroupName="/lifeworld/test/flow")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    calls = throttle("ec2", "CreateFlowLogs", "RequestLimitExceeded", times=100)

    result = run_module(ec2_vpc_flow_log, {"resource_id": vpc_id, "log_group_name": "/lifeworld/test/flow",
                                           "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/fl"})

    assert result.get("failed") is True
    assert "RequestLimitExceeded" in str(result)
    assert calls.count("CreateFlowLogs") == 10  # the bounded number of attempts, then the error
    assert ec2.describe_flow_logs()["FlowLogs"] == []


@pytest.mark.parametrize("code", ["ThrottlingException", "Throttling", "RequestLimitExceeded", "ThrottledException",
                                  "TooManyRequestsException"])
def test_aws_retry_covers_every_throttling_spelling(code):
    assert AWSRetry.found(code, aws_retry.__globals__["THROTTLING_CODES"])


def test_aws_retry_does_not_retry_a_real_error(sleeps):
    from botocore.exceptions import ClientError

    attempts = []

    @aws_retry()
    def call():
        attempts.append(1)
        raise ClientError({"Error": {"Code": "InvalidParameterValue", "Message": "no"}}, "X")

    with pytest.raises(ClientError):
        call()
    assert len(attempts) == 1 and sleeps == []


# --- structure ---------------------------------------------------------------------------------------------------

# Client methods that make no request of their own (a waiter polls with its own delay and attempt count). A paginator
# makes its requests when iterated, out of reach of aws_retry=True, so it must live in a decorated function.
NO_REQUEST = {"get_waiter", "can_paginate", "generate_presigned_url", "exceptions", "meta"}


def _is_retry(decorator):
    return "aws_retry" in ast.unparse(decorator) or "AWSRetry" in ast.unparse(decorator)


def _client_call(node):
    """``(receiver, method, keywords)`` of a ``<name>.<method>(...)`` call, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        return node.func.value.id, node.func.attr, {k.arg: k.value for k in node.keywords}
    return None


def unretried_calls(source, filename="<source>"):
    """Human-readable findings for every boto3 client call in ``source`` that no retry covers."""
    tree = ast.parse(source, filename)
    clients, retrying = set(), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            call = _client_call(node.value)
            if call and call[1] == "client":
                clients.add(node.targets[0].id)
                if "retry_decorator" in call[2]:
                    retrying[node.targets[0].id] = node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for arg in node.args.args + node.args.kwonlyargs:
                if arg.arg == "client" or arg.arg.endswith("_client"):
                    clients.add(arg.arg)

    findings, used_retry = [], set()

    def visit(node, covered):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            covered = covered or any(_is_retry(d) for d in node.decorator_list)
        call = _client_call(node)
        if call and call[0] in clients and call[1] not in NO_REQUEST | {"client"}:
            flagged = call[2].get("aws_retry")
            if call[1] == "get_paginator":
                if not covered:
                    findings.append("%s:%d: %s.get_paginator() outside any retry" % (filename, node.lineno, call[0]))
            elif isinstance(flagged, ast.Constant) and flagged.value is True:
                used_retry.add(call[0])
                if call[0] not in retrying:
                    findings.append("%s:%d: %s.%s(aws_retry=True) on a client made without a retry_decorator"
                                    % (filename, node.lineno, call[0], call[1]))
            elif call[0] in retrying:
                findings.append("%s:%d: %s.%s() without aws_retry=True on a client made with a retry_decorator"
                                % (filename, node.lineno, call[0], call[1]))
            elif not covered:
                findings.append("%s:%d: %s.%s() outside any retry" % (filename, node.lineno, call[0], call[1]))
        for child in ast.iter_child_nodes(node):
            visit(child, covered)

    visit(tree, False)
    for name, line in retrying.items():
        if name not in used_retry:
            findings.append("%s:%d: %s has a retry_decorator that no call uses" % (filename, line, name))
    return findings


def test_every_boto3_call_in_plugins_goes_through_a_retry():
    files = sorted((PLUGINS / "modules").glob("*.py")) + sorted((PLUGINS / "module_utils").glob("*.py"))
    assert len(files) > 30
    findings = []
    for path in files:
        findings += unretried_calls(path.read_text(), str(path.relative_to(PLUGINS)))
    assert findings == []


@pytest.mark.parametrize("source, expected", [
    ("def f(client):\n    return client.describe_vpcs()\n", "client.describe_vpcs() outside any retry"),
    ("def f(client):\n    return client.get_paginator('x').paginate().build_full_result()\n",
     "client.get_paginator() outside any retry"),
    ("c = module.client('ec2', retry_decorator=AWSRetry.jittered_backoff())\nc.describe_vpcs()\n",
     "c.describe_vpcs() without aws_retry=True"),
    ("c = module.client('ec2', retry_decorator=AWSRetry.jittered_backoff())\nhelper(c)\n",
     "c has a retry_decorator that no call uses"),
    ("c = module.client('ec2')\nc.describe_vpcs(aws_retry=True)\n", "made without a retry_decorator"),
])
def test_the_walk_finds_an_unretried_call(source, expected):
    findings = unretried_calls(source)
    assert findings and any(expected in finding for finding in findings), findings


@pytest.mark.parametrize("source", [
    "@aws_retry()\ndef f(client):\n    return client.describe_vpcs()\n",
    "@Handler.common_error_handler('x')\n@AWSRetry.jittered_backoff()\ndef f(client):\n    return client.get_paginator('x').paginate()\n",
    "def f(client):\n    return aws_retry()(client.get_role)(RoleName='r')\n",
    "c = module.client('ec2', retry_decorator=AWSRetry.jittered_backoff())\nc.describe_vpcs(aws_retry=True)\n",
    "def f(client):\n    client.get_waiter('x').wait(Id='1')\n",
])
def test_the_walk_accepts_a_retried_call(source):
    assert unretried_calls(source) == []
