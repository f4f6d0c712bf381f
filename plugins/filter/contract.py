# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The naming contract and the AWS connection, for roles and playbooks (the data lives in module_utils/contract.py).

The role lifeworld.production.contract applies these to the inventory's lifeworld_* variables once; every AWS role
depends on it, so a role works from any playbook with only inventory variables.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lifeworld.production.plugins.module_utils import contract as _contract


def contract(project, environment, extra_tags=None):
    """``lifeworld_project | contract(lifeworld_environment, lifeworld_extra_tags)``: prefix, tags and names."""
    try:
        return _contract.contract(project, environment, extra_tags)
    except ValueError as e:
        raise AnsibleFilterError(str(e))


def contract_names(prefix, project=None, environment=None, secret_path=None, account=None):
    """``<role>_name_prefix | contract_names``: the contract's names under a role's own prefix (and secret path);
    ``contract_names(account=<id>)`` adds the names that carry the account id (S3 buckets)."""
    return _contract.names(prefix, project, environment, secret_path, account)


def aws_connection(settings):
    """``{'endpoint_url': ..., 'profile': ...} | aws_connection``: module_defaults of every AWS module group."""
    return _contract.aws_connection(settings.get("endpoint_url"), settings.get("profile"))


def aws_environment(region, endpoint_url=None, profile=None, with_connection=False):
    """``lifeworld_aws_region | aws_environment``: AWS_REGION (and, for plain boto3 scripts, endpoint and profile)."""
    return _contract.aws_environment(region, endpoint_url, profile, with_connection)


class FilterModule:
    def filters(self):
        return {
            "contract": contract,
            "contract_names": contract_names,
            "aws_connection": aws_connection,
            "aws_environment": aws_environment,
        }
