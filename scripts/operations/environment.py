# -*- coding: utf-8 -*-
"""Describe one environment as it exists in the account, from a shell: the report of the collection's reader
(plugins/module_utils/environment_report.py, which lifeworld.production.environment_info returns to playbooks with
report=true). Playbooks never run this file; scripts/diagram and people do.

Usage: python -m scripts.operations.environment --prefix life-world-os-production \
         [--project life-world-os --environment production --zone lifeworld.com --record prod.lifeworld.com
          --image-tag prod --metrics-minutes 10]
Prints JSON. Never reads a secret's value (describe/list calls only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from pathlib import Path

import boto3

# The checkout is the collection (.collections/ansible_collections/lifeworld/production links back to the root).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".collections"))
from ansible_collections.lifeworld.production.plugins.module_utils import environment_report  # noqa: E402


def session_from_environment():
    # Plain boto3 reads only AWS_DEFAULT_REGION; the collection's settings put the region in AWS_REGION too.
    if "AWS_DEFAULT_REGION" not in os.environ and os.environ.get("AWS_REGION"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"]
    return boto3.session.Session()


def describe(prefix, project=None, environment=None, zone=None, record=None, image_tag=None, session=None,
             metrics_minutes=None):
    session = session or session_from_environment()
    return environment_report.describe(session.client, prefix, project, environment, zone=zone, record=record,
                                       image_tag=image_tag, metrics_minutes=metrics_minutes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--project")
    parser.add_argument("--environment")
    parser.add_argument("--zone")
    parser.add_argument("--record")
    parser.add_argument("--image-tag")
    parser.add_argument("--metrics-minutes", type=int, help="also read the CloudWatch figures of the last N minutes")
    args = parser.parse_args(argv)
    facts = describe(args.prefix, args.project, args.environment, args.zone, args.record, args.image_tag,
                     session=session_from_environment(), metrics_minutes=args.metrics_minutes)
    json.dump(facts, sys.stdout, indent=2, default=str)
    print()


if __name__ == "__main__":
    main()
