#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_image_tag
version_added: 1.0.0
short_description: Promote an existing ECR image to another tag without Docker
description:
  - Gives an image that is already in an Amazon ECR repository an additional tag (for example promotes
    V(1.4.2) to V(prod)) by copying its manifest with C(BatchGetImage) and C(PutImage). No layer is pulled or pushed
    and no Docker daemon is needed.
  - Idempotent. Nothing changes when O(tag) already points at the source image's digest.
  - When O(tag) points at another image, a repository with MUTABLE tags moves the tag to the source image.
    An IMMUTABLE repository cannot move a tag, so the module fails and names both digests.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  repository_name:
    description:
      - The name of the repository, for example V(life-world-os/backend).
    type: str
    required: true
    aliases: ['repository']
  registry_id:
    description:
      - The AWS account ID of the registry. Defaults to the caller's account.
    type: str
  source_tag:
    description:
      - The tag of the image to promote.
      - Exactly one of O(source_tag) and O(source_digest) is required.
    type: str
  source_digest:
    description:
      - The digest (V(sha256:...)) of the image to promote.
    type: str
  tag:
    description:
      - The tag to give the image.
    type: str
    required: true
notes:
  - Needs the IAM actions C(ecr:DescribeRepositories), C(ecr:BatchGetImage) and C(ecr:PutImage) on the repository.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Promote the tested build to the release tag
  lifeworld.production.ecr_image_tag:
    repository_name: life-world-os/backend
    source_tag: "{{ build_id }}"
    tag: prod-2025.06.01

- name: Promote an exact digest
  lifeworld.production.ecr_image_tag:
    repository_name: life-world-os/frontend
    source_digest: sha256:8f1c0e4d3a2b9c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e
    tag: release-42
"""

RETURN = r"""
image:
  description: The image that carries O(tag) after the run (predicted in check mode).
  returned: always
  type: dict
  contains:
    repository_name:
      description: The repository.
      type: str
      sample: life-world-os/backend
    registry_id:
      description: The account of the registry.
      type: str
      sample: "123456789012"
    image_digest:
      description: The digest the tag points at.
      type: str
      sample: sha256:8f1c0e4d3a2b9c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e
    image_tag:
      description: The tag.
      type: str
      sample: prod-2025.06.01
previous_digest:
  description: The digest O(tag) pointed at before it was moved (MUTABLE repositories only).
  returned: when the tag was moved
  type: str
  sample: sha256:0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import build_diff
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import batch_get_image
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import describe_repository
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import put_image


def promote(module: AnsibleAWSModule, client) -> None:
    params = module.params
    name, registry_id, tag = params["repository_name"], params["registry_id"], params["tag"]

    repository = describe_repository(client, name, registry_id)
    if repository is None:
        module.fail_json(msg=f"ECR repository {name} does not exist")

    source_id = {"imageDigest": params["source_digest"]} if params["source_digest"] else {"imageTag": params["source_tag"]}
    source = batch_get_image(client, name, source_id, registry_id)
    if source is None:
        module.fail_json(msg=f"No image {list(source_id.values())[0]} in ECR repository {name}: nothing to promote")
    digest = source["imageId"]["imageDigest"]

    current = batch_get_image(client, name, {"imageTag": tag}, registry_id)
    current_digest = current["imageId"]["imageDigest"] if current else None

    result = {
        "image": {
            "repository_name": name,
            "registry_id": repository.get("registryId"),
            "image_digest": digest,
            "image_tag": tag,
        }
    }
    before = {"image_tag": tag, "image_digest": current_digest} if current_digest else {}
    after = {"image_tag": tag, "image_digest": digest}

    if current_digest == digest:
        exit_with_result(module, False, diff=build_diff(before, after), **result)

    if current_digest and repository.get("imageTagMutability", "MUTABLE").startswith("IMMUTABLE"):
        module.fail_json(
            msg=f"Tag {tag} of {name} already points at {current_digest}, not at {digest}, and the repository's "
            "tags are IMMUTABLE: choose a new tag (a release tag cannot be moved)",
            **result,
        )

    if current_digest:
        result["previous_digest"] = current_digest
    unless_check_mode(module, put_image, client, name, source, tag, registry_id)
    exit_with_result(module, True, diff=build_diff(before, after), **result)


def main():
    argument_spec = dict(
        repository_name=dict(type="str", required=True, aliases=["repository"]),
        registry_id=dict(type="str"),
        source_tag=dict(type="str"),
        source_digest=dict(type="str"),
        tag=dict(type="str", required=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("source_tag", "source_digest")],
        required_one_of=[("source_tag", "source_digest")],
        supports_check_mode=True,
    )
    client = module.client("ecr")
    try:
        promote(module, client)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
