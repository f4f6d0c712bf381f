# -*- coding: utf-8 -*-
"""lifeworld.production.ecr_image_tag against moto's in-process mock (fixtures in tests/unit/conftest.py)."""

import hashlib
import json

import pytest

from ansible_collections.lifeworld.production.plugins.modules import ecr_image_tag

REPO = "life-world-os/backend"
MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def manifest(build):
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": MEDIA_TYPE,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": "sha256:" + hashlib.sha256(build.encode()).hexdigest()},
        # moto derives the digest from the layer digests, so each build gets its own layer
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1024,
                    "digest": "sha256:" + hashlib.sha256(("layer-" + build).encode()).hexdigest()}],
    })


@pytest.fixture
def ecr(aws):
    return aws.client("ecr")


def push(ecr, repo, build, tag):
    """Stand-in for `docker push`: what matters to the module is the manifest and its digest."""
    return ecr.put_image(repositoryName=repo, imageManifest=manifest(build), imageManifestMediaType=MEDIA_TYPE,
                         imageTag=tag)["image"]["imageId"]["imageDigest"]


@pytest.fixture
def mutable_repo(ecr):
    ecr.create_repository(repositoryName=REPO, imageTagMutability="MUTABLE")
    return REPO


@pytest.fixture
def immutable_repo(ecr):
    ecr.create_repository(repositoryName=REPO, imageTagMutability="IMMUTABLE")
    return REPO


def tags_by_digest(ecr, repo):
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in ecr.describe_images(repositoryName=repo)["imageDetails"]}


def test_promote_adds_the_tag_to_the_same_digest(ecr, immutable_repo, run_module):
    digest = push(ecr, immutable_repo, "build-1", "1.0.0")

    result = run_module(ecr_image_tag, {"repository_name": immutable_repo, "source_tag": "1.0.0", "tag": "prod"}, diff=True)

    assert result["changed"] is True, result
    assert result["image"]["image_digest"] == digest
    assert tags_by_digest(ecr, immutable_repo) == {digest: ["1.0.0", "prod"]}
    assert result["diff"] == {"before": {}, "after": {"image_tag": "prod", "image_digest": digest}}


def test_second_run_is_a_no_op(ecr, immutable_repo, run_module):
    push(ecr, immutable_repo, "build-1", "1.0.0")
    args = {"repository_name": immutable_repo, "source_tag": "1.0.0", "tag": "prod"}
    run_module(ecr_image_tag, args)

    result = run_module(ecr_image_tag, args)

    assert result["changed"] is False, result
    assert not result.get("failed"), result


def test_check_mode_reports_the_change_and_touches_nothing(ecr, immutable_repo, run_module):
    digest = push(ecr, immutable_repo, "build-1", "1.0.0")

    result = run_module(ecr_image_tag, {"repository_name": immutable_repo, "source_tag": "1.0.0", "tag": "prod"},
                        check_mode=True, diff=True)

    assert result["changed"] is True
    assert result["diff"]["after"]["image_digest"] == digest
    assert tags_by_digest(ecr, immutable_repo) == {digest: ["1.0.0"]}


def test_source_by_digest(ecr, immutable_repo, run_module):
    digest = push(ecr, immutable_repo, "build-1", "1.0.0")

    result = run_module(ecr_image_tag, {"repository_name": immutable_repo, "source_digest": digest, "tag": "prod"})

    assert result["changed"] is True
    assert tags_by_digest(ecr, immutable_repo)[digest] == ["1.0.0", "prod"]


def test_immutable_tag_on_another_digest_fails_naming_both_digests(ecr, immutable_repo, run_module):
    old = push(ecr, immutable_repo, "build-1", "prod")
    new = push(ecr, immutable_repo, "build-2", "2.0.0")

    result = run_module(ecr_image_tag, {"repository_name": immutable_repo, "source_tag": "2.0.0", "tag": "prod"})

    assert result.get("failed") is True
    assert "IMMUTABLE" in result["msg"] and old in result["msg"] and new in result["msg"]
    assert tags_by_digest(ecr, immutable_repo) == {old: ["prod"], new: ["2.0.0"]}


def test_mutable_tag_is_moved_and_the_previous_digest_reported(ecr, mutable_repo, run_module):
    old = push(ecr, mutable_repo, "build-1", "prod")
    new = push(ecr, mutable_repo, "build-2", "2.0.0")

    result = run_module(ecr_image_tag, {"repository_name": mutable_repo, "source_tag": "2.0.0", "tag": "prod"})

    assert result["changed"] is True, result
    assert result["previous_digest"] == old
    assert tags_by_digest(ecr, mutable_repo)[new] == ["2.0.0", "prod"]


def test_missing_source_image_fails_clearly(ecr, immutable_repo, run_module):
    result = run_module(ecr_image_tag, {"repository_name": immutable_repo, "source_tag": "9.9.9", "tag": "prod"})

    assert result.get("failed") is True
    assert "9.9.9" in result["msg"] and "nothing to promote" in result["msg"]


def test_missing_repository_fails_clearly(aws, run_module):
    result = run_module(ecr_image_tag, {"repository_name": "nope/backend", "source_tag": "1", "tag": "prod"})

    assert result.get("failed") is True
    assert "nope/backend does not exist" in result["msg"]
