# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""boto3 calls for Amazon ECR images, each wrapped in a retry decorator and an error handler.

Errors surface as ``AnsibleECRError``; modules catch it and call ``module.fail_json_aws_error(e)``.
"""

from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.lifeworld.production.plugins.module_utils.common import aws_retry


class AnsibleECRError(AnsibleAWSError):
    pass


class ECRErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECRError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["RepositoryNotFoundException", "ImageNotFoundException"])


def _registry(registry_id: Optional[str]) -> Dict[str, str]:
    return {"registryId": registry_id} if registry_id else {}


@ECRErrorHandler.list_error_handler("describe repository", None)
@aws_retry()
def describe_repository(client, repository_name: str, registry_id: Optional[str] = None) -> Optional[Dict[str, Any]]:
    repositories = client.describe_repositories(repositoryNames=[repository_name], **_registry(registry_id))
    return repositories["repositories"][0] if repositories.get("repositories") else None


@ECRErrorHandler.common_error_handler("get image")
@aws_retry()
def batch_get_image(
    client, repository_name: str, image_id: Dict[str, str], registry_id: Optional[str] = None
) -> Optional[Dict[str, Any]]:
    """The image (with its manifest) that ``image_id`` names, or None when it does not exist."""
    response = client.batch_get_image(
        repositoryName=repository_name,
        imageIds=[image_id],
        acceptedMediaTypes=[
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
        ],
        **_registry(registry_id),
    )
    images: List[Dict[str, Any]] = response.get("images") or []
    return images[0] if images else None


@ECRErrorHandler.common_error_handler("put image")
@aws_retry()
def put_image(client, repository_name: str, image: Dict[str, Any], tag: str, registry_id: Optional[str] = None):
    """Attach ``tag`` to the manifest of ``image`` (an image from batch_get_image); no layer is uploaded."""
    params = {
        "repositoryName": repository_name,
        "imageManifest": image["imageManifest"],
        "imageTag": tag,
        "imageDigest": image["imageId"]["imageDigest"],
    }
    if image.get("imageManifestMediaType"):
        params["imageManifestMediaType"] = image["imageManifestMediaType"]
    params.update(_registry(registry_id))
    return client.put_image(**params)["image"]


@ECRErrorHandler.common_error_handler("list repository tags")
@aws_retry()
def list_repository_tags(client, repository_arn: str) -> Dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(resourceArn=repository_arn).get("tags") or [])


@ECRErrorHandler.common_error_handler("tag repository")
@aws_retry()
def tag_repository(client, repository_arn: str, tags: Dict[str, str]) -> None:
    client.tag_resource(resourceArn=repository_arn, tags=ansible_dict_to_boto3_tag_list(tags))


@ECRErrorHandler.common_error_handler("untag repository")
@aws_retry()
def untag_repository(client, repository_arn: str, keys: List[str]) -> None:
    client.untag_resource(resourceArn=repository_arn, tagKeys=list(keys))
