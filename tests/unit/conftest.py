# -*- coding: utf-8 -*-
"""Unit-test harness for lifeworld.production modules: run a module in-process against moto's ``mock_aws``.

Fixtures
--------
``aws``
    Isolated AWS environment: us-east-1, dummy credentials, no endpoint override (``AWS_ENDPOINT_URL`` and friends
    are removed so boto3 talks to moto's in-process mock, not to a running server), inside ``moto.mock_aws()``.
    Yields a ``boto3.Session`` so tests can build clients to arrange and verify state.
``run_module``
    ``run_module(module, args, check_mode=False, diff=False) -> dict``: runs ``module.main()`` with ``args`` as the
    module arguments and returns the result dict the module printed (``exit_json`` or ``fail_json``; a failure has
    ``failed: True`` and ``msg``). Use it together with ``aws``.

Example::

    from ansible_collections.lifeworld.production.plugins.modules import my_module

    def test_creates(aws, run_module):
        result = run_module(my_module, {"name": "x"})
        assert result["changed"] is True
"""

import contextlib
import io
import json
import os
import sys

import pytest

# The top-level tests/conftest.py puts .collections on sys.path; repeat it so this directory also works alone.
_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

REGION = "us-east-1"

# Variables that would send boto3 (or amazon.aws) somewhere else than the in-process mock.
_ENV_TO_CLEAR = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_LOGS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_URL",
    "EC2_URL",
    "S3_URL",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "EC2_SECURITY_TOKEN",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "EC2_ACCESS_KEY",
    "EC2_SECRET_KEY",
    "EC2_REGION",
    "AWS_CA_BUNDLE",
)


@pytest.fixture
def aws(monkeypatch, tmp_path):
    for name in _ENV_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    # No shared config or credentials file of the machine may leak in.
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    with moto.mock_aws():
        yield boto3.session.Session(region_name=REGION)


@contextlib.contextmanager
def _module_args(args):
    """Expose ``args`` to AnsibleModule: ansible-core >= 2.19 helper, else the legacy ``_ANSIBLE_ARGS`` patch."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    from unittest import mock

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    with mock.patch.object(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))):
        yield


def _parse_output(output):
    """The module prints its result as the last JSON document on stdout."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError(f"the module printed no JSON result; stdout was:\n{output}")


def _message(item):
    """ansible-core >= 2.19 reports warnings/deprecations as structured summaries; older ones as strings."""
    if isinstance(item, dict):
        return item.get("event", {}).get("msg") or item.get("msg") or json.dumps(item)
    return item


def _run_module(module, args, check_mode=False, diff=False):
    """Run ``module.main()`` in-process and return its result dict (``failed: True`` on fail_json)."""
    module_args = dict(args)
    module_args["_ansible_check_mode"] = check_mode
    module_args["_ansible_diff"] = diff
    stdout = io.StringIO()
    with _module_args(module_args), contextlib.redirect_stdout(stdout):
        with pytest.raises(SystemExit) as exit_info:
            module.main()
    result = _parse_output(stdout.getvalue())
    for key in ("warnings", "deprecations"):
        if key in result:
            result[key] = [_message(item) for item in result[key]]
    result["_exit_code"] = exit_info.value.code
    if exit_info.value.code not in (0, None):
        result.setdefault("failed", True)
    return result


@pytest.fixture
def run_module():
    """``run_module(module, args, check_mode=False, diff=False) -> dict`` (see the module docstring)."""
    return _run_module
