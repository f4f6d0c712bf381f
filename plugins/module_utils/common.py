# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The reconcile kernel every lifeworld.production module is written with: the retry every boto3 call goes through
(``aws_retry``), the tag plan (``plan_tags``/``apply_tags``), the check-mode gate (``unless_check_mode``), the diff
(``build_diff``) and the exit (``exit_with_result``/``exit_absent``). A module reads the current state, plans the
desired one, makes each change through the gate and exits with the plan's ``changed`` and diff.

Only what amazon.aws does not already provide lives here; AWS helpers (tagging, retries,
error handling, case conversion) are imported from amazon.aws, never copied.
"""

from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import NamedTuple
from typing import Optional

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# amazon.aws's AWSRetry only retries "Throttling" and "RequestLimitExceeded" style codes by exact name, so the
# "ThrottlingException" that ACM, ECS, CloudWatch Logs, Secrets Manager, KMS and Cloud Map answer with (and the
# other spellings below, as botocore's standard retry mode lists them) would fail the task on the first throttle
# once botocore's own few attempts are spent. LimitExceededException is left out on purpose: for most services
# it means a quota is reached, which no wait will fix.
THROTTLING_CODES = (
    "ThrottlingException",
    "ThrottledException",
    "Throttled",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "SlowDown",
)


def aws_retry(extra_codes: Iterable[str] = ()):
    """The retry decorator every boto3 call of the collection goes through (module_utils functions are decorated
    with it, amazon.aws style): jittered backoff on throttling and transient errors, plus ``extra_codes`` for a
    call that has a known transient error of its own (an association still pending, a change in progress)."""
    return AWSRetry.jittered_backoff(catch_extra_error_codes=list(THROTTLING_CODES) + list(extra_codes))


def changed_keys(current: Optional[Dict[str, Any]], desired: Dict[str, Any], keys: Iterable[str]) -> List[str]:
    """Return the keys whose desired value is set (not None) and differs from the current value.

    An option left unset (None) means "leave this attribute alone", so it never counts as a change.
    """
    current = current or {}
    return [key for key in keys if desired.get(key) is not None and current.get(key) != desired.get(key)]


def build_diff(before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Build an Ansible ``diff`` (before/after) restricted to what changes.

    A resource that is created shows ``before: {}`` and its whole desired state; a deleted one the reverse.
    When both sides exist, only the keys whose values differ are shown.
    """
    before = before or {}
    after = after or {}
    if not before or not after:
        return {"before": dict(before), "after": dict(after)}
    keys = sorted(set(before) | set(after))
    differing = [key for key in keys if before.get(key) != after.get(key)]
    return {
        "before": {key: before.get(key) for key in differing},
        "after": {key: after.get(key) for key in differing},
    }


def unless_check_mode(module, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The check-mode gate: make the change ``action(*args, **kwargs)`` and return its answer, or, in check mode,
    make nothing and return None. Callers compute ``changed`` from the plan, never from the answer, so check mode
    reports the same change a real run makes."""
    if module.check_mode:
        return None
    return action(*args, **kwargs)


class TagPlan(NamedTuple):
    """What ``tags``/``purge_tags`` ask of a resource's current tags."""

    after: Dict[str, str]
    to_set: Dict[str, str]
    to_unset: List[str]

    @property
    def changed(self) -> bool:
        return bool(self.to_set or self.to_unset)


def plan_tags(current: Optional[Dict[str, str]], tags: Optional[Dict[str, str]], purge_tags: bool) -> TagPlan:
    """The tag plan of every module: ``tags=None`` leaves the tags alone; otherwise amazon.aws's
    ``compare_aws_tags`` semantics (``purge_tags`` removes the keys not asked for)."""
    current = dict(current or {})
    if tags is None:
        return TagPlan(current, {}, [])
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    after = {key: value for key, value in current.items() if key not in to_unset}
    after.update(to_set)
    return TagPlan(after, to_set, list(to_unset))


def apply_tags(module, plan: TagPlan, set_tags: Callable[[Dict[str, str]], Any],
               unset_tags: Callable[[List[str]], Any]) -> bool:
    """Carry out a tag plan through the check-mode gate (removals first, as every tagging API takes them apart from
    additions); returns whether the tags change."""
    if plan.to_unset:
        unless_check_mode(module, unset_tags, plan.to_unset)
    if plan.to_set:
        unless_check_mode(module, set_tags, plan.to_set)
    return plan.changed


def exit_with_result(module, changed: bool, diff: Optional[Dict[str, Any]] = None, **result: Any):
    """Exit the module with ``changed``, the given result keys and, when ``--diff`` is requested, the diff.

    Works the same in check mode: callers compute the change without making it and report it here.
    """
    if diff is not None and getattr(module, "_diff", False):
        result["diff"] = diff
    module.exit_json(changed=changed, **result)


def exit_absent(module, before: Optional[Dict[str, Any]], delete: Callable[[], Any], **result: Any):
    """``state: absent``: delete what exists (``before`` is its view, empty or None when there is nothing) through
    the check-mode gate, then exit with the change and the diff to nothing."""
    if before:
        unless_check_mode(module, delete)
    exit_with_result(module, bool(before), diff=build_diff(before, {}), **result)
