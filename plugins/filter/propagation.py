# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tell IAM's propagation delay from a real failure in a registered task result, for ``retries``/``until``.

A role created seconds ago is refused by the service that must assume it with that service's generic
invalid-parameter error; only the message says it is the delay. Tasks of upstream modules (amazon.aws.rds_instance,
community.aws.ecs_service) retry with ``until: result is success or not (result | ...iam_propagating)``; the known
answers are the ones our own modules retry (module_utils/iam.py), kept in one list.
EMULATOR: moto never answers so; tests/unit/plugins/filter/test_propagation.py feeds the real answers.
"""

from __future__ import annotations

from ansible_collections.lifeworld.production.plugins.module_utils.iam import PROPAGATION_ERRORS


def iam_propagating(result):
    """True when ``result`` (a registered task result) failed with a known "role not assumable yet" answer."""
    if not isinstance(result, dict) or not result.get("failed"):
        return False
    error = result.get("error") if isinstance(result.get("error"), dict) else {}
    code, message = error.get("code") or "", error.get("message") or ""
    text = str(result.get("msg") or "")
    for known_code, fragment in PROPAGATION_ERRORS:
        if code == known_code and fragment in message:
            return True
        if known_code in text and fragment in text:
            return True
    return False


class FilterModule:
    def filters(self):
        return {"iam_propagating": iam_propagating}
