# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for ECS clusters, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleECSError``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ClusterNotFoundException")


@ECSErrorHandler.list_error_handler("describe cluster", None)
@aws_retry()
def describe_cluster(client, name: str) -> Optional[Dict[str, Any]]:
    """The ACTIVE cluster called ``name`` with its settings and tags, or None (INACTIVE counts as absent)."""
    clusters = client.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"]).get("clusters") or []
    active = [cluster for cluster in clusters if cluster.get("status") == "ACTIVE"]
    return active[0] if active else None


@ECSErrorHandler.common_error_handler("create cluster")
@aws_retry()
def create_cluster(client, **params: Any) -> Dict[str, Any]:
    return client.create_cluster(**params)["cluster"]


@ECSErrorHandler.common_error_handler("update cluster settings")
@aws_retry()
def update_cluster_settings(client, name: str, settings: List[Dict[str, str]]) -> Dict[str, Any]:
    return client.update_cluster_settings(cluster=name, settings=settings)["cluster"]


@ECSErrorHandler.common_error_handler("put cluster capacity providers")
@aws_retry(["UpdateInProgressException", "ResourceInUseException"])
def put_cluster_capacity_providers(client, name: str, providers: List[str], strategy: List[Dict[str, Any]]):
    return client.put_cluster_capacity_providers(
        cluster=name, capacityProviders=providers, defaultCapacityProviderStrategy=strategy
    )["cluster"]


@ECSErrorHandler.common_error_handler("tag cluster")
@aws_retry()
def tag_resource(client, arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(resourceArn=arn, tags=[{"key": key, "value": value} for key, value in tags.items()])


@ECSErrorHandler.common_error_handler("untag cluster")
@aws_retry()
def untag_resource(client, arn: str, keys: List[str]) -> None:
    client.untag_resource(resourceArn=arn, tagKeys=keys)
