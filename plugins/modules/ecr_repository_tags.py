#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_repository_tags
version_added: 1.0.0
short_description: Manage the tags of existing Amazon ECR repositories
description:
  - Sets the resource tags of one or more existing ECR repositories (C(ListTagsForResource), C(TagResource),
    C(UntagResource)).
  - C(community.aws.ecs_ecr) creates and configures repositories but has no tags option, so repositories it creates
    carry no cost-allocation or ownership tags; this module closes that gap without replacing it.
  - Idempotent; check mode makes no change and reports what would change; diff shows each repository's tags.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  repository_names:
    description:
      - The repositories, for example V(life-world-os/backend). Each must exist.
    type: list
    elements: str
    required: true
    aliases: ['repositories']
  registry_id:
    description:
      - The AWS account ID of the registry. Defaults to the caller's account.
    type: str
notes:
  - Without O(tags) the module only reports each repository's tags; O(purge_tags=true) removes tags that are
    not listed in O(tags).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag the application's repositories
  lifeworld.production.ecr_repository_tags:
    repository_names:
      - life-world-os/backend
      - life-world-os/frontend
    tags:
      Project: life-world-os
      Environment: production
    purge_tags: true
"""

RETURN = r"""
repositories:
  description: Each repository with its tags after the run (predicted in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    repository_name:
      description: The repository.
      type: str
      sample: life-world-os/backend
    repository_arn:
      description: Its ARN.
      type: str
      sample: arn:aws:ecr:us-east-1:123456789012:repository/life-world-os/backend
    tags:
      description: Its tags.
      type: dict
      sample: {"Project": "life-world-os"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import AnsibleECRError
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import describe_repository
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import list_repository_tags
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import tag_repository
from ansible_collections.lifeworld.production.plugins.module_utils.ecr import untag_repository


def converge(module: AnsibleAWSModule, client):
    params = module.params
    changed, results, before, after = False, [], {}, {}
    for name in params["repository_names"]:
        repository = describe_repository(client, name, params["registry_id"])
        if repository is None:
            module.fail_json(msg=f"ECR repository {name} does not exist: create it first (the ecr role does)")
        arn = repository["repositoryArn"]
        current = list_repository_tags(client, arn)
        tags = plan_tags(current, params["tags"], params["purge_tags"])
        if apply_tags(module, tags, lambda keys, arn=arn: tag_repository(client, arn, keys),
                      lambda keys, arn=arn: untag_repository(client, arn, keys)):
            changed = True
            before[name], after[name] = current, tags.after
        results.append({"repository_name": name, "repository_arn": arn, "tags": tags.after})
    exit_with_result(module, changed, diff={"before": before, "after": after}, repositories=results)


def main():
    argument_spec = dict(
        repository_names=dict(type="list", elements="str", required=True, aliases=["repositories"]),
        registry_id=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    client = module.client("ecr")
    try:
        converge(module, client)
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
