#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudtrail_trail_deletion
version_added: 1.0.0
short_description: Delete a CloudTrail trail by name
description:
  - Deletes the trail named O(name) in the current region when it exists (its S3 bucket and log group stay).
  - M(amazon.aws.cloudtrail) with O(amazon.aws.cloudtrail#module:state=absent) deletes by the trail's ARN, which
    the emulator (moto 5.2.5) accepts and ignores, so the trail stays and every run reports a change. This module
    deletes by name, which AWS and the emulator both honour.
  - Check mode reports the deletion without making it; diff shows the trail's name before and after.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name:
    description:
      - The trail's name.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the environment's audit trail
  lifeworld.production.cloudtrail_trail_deletion:
    name: life-world-os-staging-trail
"""

RETURN = r"""
trail_arn:
  description: The ARN of the trail deleted (would be, in check mode); empty when there was none.
  returned: always
  type: str
  sample: arn:aws:cloudtrail:us-east-1:123456789012:trail/life-world-os-staging-trail
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


@AWSRetry.jittered_backoff()
def find_trail(client, name):
    trails = client.describe_trails(trailNameList=[name], includeShadowTrails=False)["trailList"]
    return next((t for t in trails if t.get("Name") == name), None)


@AWSRetry.jittered_backoff()
def delete_trail(client, name):
    client.delete_trail(Name=name)


def main():
    module = AnsibleAWSModule(argument_spec=dict(name=dict(type="str", required=True)), supports_check_mode=True)
    name = module.params["name"]
    client = module.client("cloudtrail")
    try:
        trail = find_trail(client, name)
        if trail and not module.check_mode:
            delete_trail(client, name)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not delete the trail %s (needs cloudtrail:DescribeTrails, "
                                    "cloudtrail:DeleteTrail)" % name)
    module.exit_json(changed=trail is not None, trail_arn=(trail or {}).get("TrailARN", ""),
                     diff={"before": {"trail": name if trail else None}, "after": {"trail": None}})


if __name__ == "__main__":
    main()
