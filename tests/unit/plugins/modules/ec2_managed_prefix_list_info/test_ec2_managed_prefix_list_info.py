# -*- coding: utf-8 -*-
"""lifeworld.production.ec2_managed_prefix_list_info against moto's in-process mock (the Route 53 health-check list
is created here as AWS provides it in every region; moto has only the S3 and DynamoDB ones)."""

from ansible_collections.lifeworld.production.plugins.modules import ec2_managed_prefix_list_info

HEALTH = "com.amazonaws.us-east-1.route53-healthchecks"


def test_names_resolve_to_ids_and_the_rest_are_missing(aws, run_module):
    created = aws.client("ec2").create_managed_prefix_list(
        PrefixListName=HEALTH, AddressFamily="IPv4", MaxEntries=30,
        Entries=[{"Cidr": "54.183.255.128/26"}])["PrefixList"]["PrefixListId"]

    result = run_module(ec2_managed_prefix_list_info, {"names": [HEALTH, "com.amazonaws.us-east-1.nothing"]})

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["prefix_list_ids"] == {HEALTH: created}
    assert result["missing"] == ["com.amazonaws.us-east-1.nothing"]


def test_nothing_found_is_reported_not_failed(aws, run_module):
    result = run_module(ec2_managed_prefix_list_info, {"names": [HEALTH]})

    assert result["prefix_list_ids"] == {}
    assert result["missing"] == [HEALTH]
