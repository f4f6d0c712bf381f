#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_alarm_set
version_added: 1.0.0
short_description: Make the CloudWatch metric alarms of one set exactly match a declaration
description:
  - Declares the whole set of CloudWatch metric alarms of one environment and makes AWS match it. Alarms that are
    declared are created or updated; alarms of the set that are no longer declared are deleted.
  - The set is every metric alarm whose name starts with O(name_prefix) and, when O(set_tags) is given, that also
    carries all of those tags. Alarms outside the set are never touched.
  - Plain metric alarms and metric-math alarms (O(alarms[].metrics)) are compared after normalisation (dimension
    order, action order, AWS defaults), so a second run with the same declaration changes nothing. Unlike
    M(amazon.aws.cloudwatch_metric_alarm), metric-math alarms are idempotent.
  - Tags are compared with the alarm's current tags and changed with TagResource/UntagResource, because
    PutMetricAlarm ignores tags on an existing alarm.
  - In check mode nothing is changed; the result and the diff say which alarms would be added, updated and removed.
author:
  - Life World OS platform team (!UNKNOWN)
options:
  name_prefix:
    description:
      - The prefix that every alarm of the set has in its name. Every O(alarms[].name) must start with it.
    type: str
    required: true
  set_tags:
    description:
      - Tags marking membership of the set. They are set on every declared alarm, and an undeclared alarm with
        O(name_prefix) is only deleted when it carries all of them.
      - Use it when alarms of other owners can share the name prefix.
    type: dict
  purge_alarms:
    description:
      - Delete the alarms of the set that are not declared in O(alarms).
      - With V(false) the module only creates and updates.
    type: bool
    default: true
  alarms:
    description:
      - Every alarm of the set. An empty list (with O(purge_alarms=true)) deletes the whole set.
      - Give either O(alarms[].metric_name) (a single metric) or O(alarms[].metrics) (metric math).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The alarm's name; must start with O(name_prefix) and be unique in the set.
        type: str
        required: true
      description:
        description: The alarm's description.
        type: str
      namespace:
        description: Namespace of the metric (single-metric alarm).
        type: str
      metric_name:
        description: Name of the metric (single-metric alarm).
        type: str
      dimensions:
        description: Dimensions of the metric, as a name to value mapping.
        type: dict
      statistic:
        description: Statistic of the metric. Mutually exclusive with O(alarms[].extended_statistic).
        type: str
        choices: ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']
      extended_statistic:
        description: A percentile statistic such as V(p95) or V(p99.9).
        type: str
      period:
        description: Length in seconds of each evaluated period (single-metric alarm).
        type: int
      unit:
        description: Unit of the metric.
        type: str
      metrics:
        description:
          - Metric queries of a metric-math alarm, in the PutMetricAlarm C(Metrics) shape, in snake_case.
          - Exactly one query must have O(alarms[].metrics[].return_data=true) (the default is V(true)).
        type: list
        elements: dict
        suboptions:
          id:
            description: Short name of the query, used in expressions.
            type: str
            required: true
          expression:
            description: A metric-math expression over other queries' ids.
            type: str
          label:
            description: A human-readable label.
            type: str
          return_data:
            description: Whether this query is the one the alarm evaluates.
            type: bool
            default: true
          period:
            description: Period of an expression query, in seconds.
            type: int
          metric_stat:
            description: A metric and how to aggregate it.
            type: dict
            suboptions:
              metric:
                description: The metric.
                type: dict
                required: true
                suboptions:
                  namespace:
                    description: Namespace of the metric.
                    type: str
                    required: true
                  metric_name:
                    description: Name of the metric.
                    type: str
                    required: true
                  dimensions:
                    description: Dimensions, as a name to value mapping.
                    type: dict
              period:
                description: Period in seconds.
                type: int
                required: true
              stat:
                description: Statistic, for example V(Sum) or V(p95).
                type: str
                required: true
              unit:
                description: Unit of the metric.
                type: str
      evaluation_periods:
        description: Number of periods evaluated.
        type: int
        required: true
      datapoints_to_alarm:
        description: Number of breaching datapoints within O(alarms[].evaluation_periods) that trigger the alarm.
          Defaults to O(alarms[].evaluation_periods), as in AWS.
        type: int
      threshold:
        description: The value compared with the statistic.
        type: float
        required: true
      comparison_operator:
        description: How the statistic is compared with O(alarms[].threshold).
        type: str
        required: true
        choices: ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold',
                  'LessThanOrEqualToThreshold']
      treat_missing_data:
        description: How missing datapoints are treated.
        type: str
        choices: ['breaching', 'notBreaching', 'ignore', 'missing']
        default: missing
      actions_enabled:
        description: Whether the actions run.
        type: bool
        default: true
      alarm_actions:
        description: ARNs notified when the alarm goes to ALARM.
        type: list
        elements: str
        default: []
      ok_actions:
        description: ARNs notified when the alarm goes back to OK.
        type: list
        elements: str
        default: []
      insufficient_data_actions:
        description: ARNs notified when the alarm goes to INSUFFICIENT_DATA.
        type: list
        elements: str
        default: []
notes:
  - O(tags) and O(set_tags) apply to every declared alarm; O(purge_tags) removes other tags from declared alarms.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The production alarm set
  lifeworld.production.cloudwatch_alarm_set:
    name_prefix: life-world-os-production-
    set_tags:
      AlarmSet: life-world-os-production
    tags:
      Project: life-world-os
      Environment: production
    alarms:
      - name: life-world-os-production-backend-cpu-high
        description: Backend CPU above 80 % for 10 minutes
        namespace: AWS/ECS
        metric_name: CPUUtilization
        dimensions:
          ClusterName: life-world-os-production
          ServiceName: backend
        statistic: Average
        period: 300
        evaluation_periods: 2
        threshold: 80
        comparison_operator: GreaterThanThreshold
        alarm_actions: [arn:aws:sns:us-east-1:123456789012:life-world-os-production-alerts]
        ok_actions: [arn:aws:sns:us-east-1:123456789012:life-world-os-production-alerts]
      - name: life-world-os-production-alb-5xx-rate
        description: 5xx responses above 1 % of requests
        metrics:
          - id: rate
            expression: 100 * (target5xx + elb5xx) / requests
            label: 5xx rate (%)
          - id: target5xx
            return_data: false
            metric_stat:
              metric:
                namespace: AWS/ApplicationELB
                metric_name: HTTPCode_Target_5XX_Count
                dimensions: {LoadBalancer: app/life-world-os-production-alb/0123456789abcdef}
              period: 300
              stat: Sum
          - id: elb5xx
            return_data: false
            metric_stat:
              metric:
                namespace: AWS/ApplicationELB
                metric_name: HTTPCode_ELB_5XX_Count
                dimensions: {LoadBalancer: app/life-world-os-production-alb/0123456789abcdef}
              period: 300
              stat: Sum
          - id: requests
            return_data: false
            metric_stat:
              metric:
                namespace: AWS/ApplicationELB
                metric_name: RequestCount
                dimensions: {LoadBalancer: app/life-world-os-production-alb/0123456789abcdef}
              period: 300
              stat: Sum
        evaluation_periods: 1
        threshold: 1
        comparison_operator: GreaterThanThreshold
        treat_missing_data: notBreaching

- name: Remove every alarm of the set
  lifeworld.production.cloudwatch_alarm_set:
    name_prefix: life-world-os-staging-
    alarms: []
"""

RETURN = r"""
alarms:
  description: Names of the declared alarms (the set after the run).
  returned: always
  type: list
  elements: str
  sample: [life-world-os-production-backend-cpu-high]
added:
  description: Alarms created (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [life-world-os-production-backend-cpu-high]
updated:
  description: Alarms whose definition or tags changed (or would).
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: Alarms of the set deleted because they are no longer declared (or would be).
  returned: always
  type: list
  elements: str
  sample: [life-world-os-production-frontend-cpu-high]
"""

import re
from functools import partial
from typing import Any
from typing import Dict
from typing import List
from typing import Optional

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import AnsibleCloudWatchError
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import delete_alarms
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import describe_metric_alarms
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import list_tags
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import put_metric_alarm
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import tag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.cloudwatch import untag_resource
from ansible_collections.lifeworld.production.plugins.module_utils.common import apply_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import exit_with_result
from ansible_collections.lifeworld.production.plugins.module_utils.common import plan_tags
from ansible_collections.lifeworld.production.plugins.module_utils.common import unless_check_mode

EXTENDED_STATISTIC = re.compile(r"^p(\d{1,2}(\.\d+)?|100)$")
SINGLE_METRIC_KEYS = ("namespace", "metric_name", "dimensions", "statistic", "extended_statistic", "period", "unit")
# snake_case option -> PutMetricAlarm parameter, for the options copied as they are.
SCALAR_PARAMS = {
    "description": "AlarmDescription",
    "namespace": "Namespace",
    "metric_name": "MetricName",
    "statistic": "Statistic",
    "extended_statistic": "ExtendedStatistic",
    "period": "Period",
    "unit": "Unit",
    "evaluation_periods": "EvaluationPeriods",
    "datapoints_to_alarm": "DatapointsToAlarm",
    "threshold": "Threshold",
    "comparison_operator": "ComparisonOperator",
    "treat_missing_data": "TreatMissingData",
    "actions_enabled": "ActionsEnabled",
}
ACTION_PARAMS = {"alarm_actions": "AlarmActions", "ok_actions": "OKActions",
                 "insufficient_data_actions": "InsufficientDataActions"}
# What describe_alarms returns that PutMetricAlarm also takes: the definition that is compared.
DEFINITION_KEYS = ("AlarmName", "Metrics", "Dimensions") + tuple(SCALAR_PARAMS.values()) + tuple(ACTION_PARAMS.values())


def _dimensions(mapping: Optional[Dict[str, Any]]) -> List[Dict[str, str]]:
    return [{"Name": str(name), "Value": str(value)} for name, value in sorted((mapping or {}).items())]


def _sorted_dimensions(dimensions: Optional[List[Dict[str, str]]]) -> List[Dict[str, str]]:
    return sorted(dimensions or [], key=lambda d: (d["Name"], d["Value"]))


def metric_query_params(query: Dict[str, Any]) -> Dict[str, Any]:
    """snake_case metric query option -> PutMetricAlarm MetricDataQuery."""
    result = {"Id": query["id"], "ReturnData": query.get("return_data", True) is not False}
    for key, param in (("expression", "Expression"), ("label", "Label"), ("period", "Period")):
        if query.get(key) is not None:
            result[param] = query[key]
    stat = query.get("metric_stat")
    if stat:
        metric = stat["metric"]
        result["MetricStat"] = {
            "Metric": {"Namespace": metric["namespace"], "MetricName": metric["metric_name"],
                       "Dimensions": _dimensions(metric.get("dimensions"))},
            "Period": stat["period"],
            "Stat": stat["stat"],
        }
        if stat.get("unit"):
            result["MetricStat"]["Unit"] = stat["unit"]
    return result


def desired_params(alarm: Dict[str, Any]) -> Dict[str, Any]:
    """One declared alarm -> the PutMetricAlarm parameters (without tags)."""
    params: Dict[str, Any] = {"AlarmName": alarm["name"]}
    for key, param in SCALAR_PARAMS.items():
        if alarm.get(key) is not None:
            params[param] = alarm[key]
    for key, param in ACTION_PARAMS.items():
        params[param] = list(alarm.get(key) or [])
    if alarm.get("dimensions"):
        params["Dimensions"] = _dimensions(alarm["dimensions"])
    if alarm.get("metrics"):
        params["Metrics"] = [metric_query_params(query) for query in alarm["metrics"]]
    params["Threshold"] = float(params["Threshold"])
    return params


def canonical(params: Dict[str, Any]) -> Dict[str, Any]:
    """A definition with AWS's defaults filled in and order-free parts sorted, so that equal alarms compare equal."""
    result = {key: params[key] for key in DEFINITION_KEYS if params.get(key) not in (None, "", [])}
    result.setdefault("ActionsEnabled", True)
    result.setdefault("TreatMissingData", "missing")
    result.setdefault("DatapointsToAlarm", result.get("EvaluationPeriods"))
    if "Threshold" in result:
        result["Threshold"] = float(result["Threshold"])
    for param in ACTION_PARAMS.values():
        result[param] = sorted(params.get(param) or [])
    if "Dimensions" in result:
        result["Dimensions"] = _sorted_dimensions(result["Dimensions"])
    if "Metrics" in result:
        queries = []
        for query in result["Metrics"]:
            query = {key: value for key, value in query.items() if value not in (None, "")}
            query.setdefault("ReturnData", True)
            if "MetricStat" in query:
                stat = dict(query["MetricStat"])
                metric = dict(stat["Metric"])
                metric["Dimensions"] = _sorted_dimensions(metric.get("Dimensions"))
                stat["Metric"] = metric
                query["MetricStat"] = stat
            queries.append(query)
        result["Metrics"] = sorted(queries, key=lambda q: q["Id"])
    return result


def view(definition: Dict[str, Any], tags: Dict[str, str]) -> Dict[str, Any]:
    """An alarm as shown in the diff: its canonical definition in snake_case, and its tags."""
    result = camel_dict_to_snake_dict({k: v for k, v in definition.items() if k != "AlarmName"})
    result["tags"] = dict(tags)
    return result


def validate_alarms(module: AnsibleAWSModule) -> None:
    prefix = module.params["name_prefix"]
    seen = set()
    for index, alarm in enumerate(module.params["alarms"]):
        label = f"alarms[{index}] ({alarm['name']})"
        if not alarm["name"].startswith(prefix):
            module.fail_json(msg=f"{label}: the name must start with name_prefix '{prefix}'")
        if alarm["name"] in seen:
            module.fail_json(msg=f"{label}: the name is declared twice")
        seen.add(alarm["name"])
        single = [key for key in SINGLE_METRIC_KEYS if alarm.get(key) not in (None, {}, "")]
        if alarm.get("metrics"):
            if single:
                module.fail_json(msg=f"{label}: metrics cannot be combined with {', '.join(single)}")
            returning = [q["id"] for q in alarm["metrics"] if q.get("return_data", True) is not False]
            if len(returning) != 1:
                module.fail_json(msg=f"{label}: exactly one metric query must have return_data=true, got {returning}")
            for query in alarm["metrics"]:
                if bool(query.get("expression")) == bool(query.get("metric_stat")):
                    module.fail_json(msg=f"{label}: metric query '{query['id']}' needs either expression or metric_stat")
        else:
            missing = [key for key in ("namespace", "metric_name", "period") if not alarm.get(key)]
            if missing:
                module.fail_json(msg=f"{label}: {', '.join(missing)} required (or give metrics for metric math)")
            if bool(alarm.get("statistic")) == bool(alarm.get("extended_statistic")):
                module.fail_json(msg=f"{label}: give exactly one of statistic and extended_statistic")
            if alarm.get("extended_statistic") and not EXTENDED_STATISTIC.match(alarm["extended_statistic"]):
                module.fail_json(msg=f"{label}: extended_statistic '{alarm['extended_statistic']}' is not a percentile like p95")
        if alarm.get("datapoints_to_alarm") and alarm["datapoints_to_alarm"] > alarm["evaluation_periods"]:
            module.fail_json(msg=f"{label}: datapoints_to_alarm cannot exceed evaluation_periods")


def set_members(client, existing: List[Dict[str, Any]], set_tags: Optional[Dict[str, str]]):
    """Existing alarms that belong to the set, with their tags: {name: (alarm, tags)}."""
    members = {}
    for alarm in existing:
        tags = list_tags(client, alarm["AlarmArn"])
        if set_tags and any(tags.get(key) != str(value) for key, value in set_tags.items()):
            continue
        members[alarm["AlarmName"]] = (alarm, tags)
    return members


def reconcile(module: AnsibleAWSModule, client) -> Dict[str, Any]:
    params = module.params
    set_tags = {k: str(v) for k, v in (params["set_tags"] or {}).items()}
    wanted_tags = dict(params["tags"] or {})
    wanted_tags.update(set_tags)

    existing = {alarm["AlarmName"]: alarm for alarm in describe_metric_alarms(client, params["name_prefix"])}
    members = set_members(client, existing.values(), set_tags)
    declared = {alarm["name"]: desired_params(alarm) for alarm in params["alarms"]}

    added, updated, removed = [], [], []
    before_view, after_view = {}, {}
    for name, desired in declared.items():
        wanted = canonical(desired)
        current = existing.get(name)
        if current is None:
            added.append(name)
            after_view[name] = view(wanted, wanted_tags)
            unless_check_mode(module, put_metric_alarm, client, Tags=ansible_dict_to_boto3_tag_list(wanted_tags), **desired)
            continue
        current_tags = members[name][1] if name in members else list_tags(client, current["AlarmArn"])
        tags = plan_tags(current_tags, wanted_tags, params["purge_tags"])
        have = canonical(current)
        if have == wanted and not tags.changed:
            continue
        updated.append(name)
        before_view[name] = view(have, current_tags)
        after_view[name] = view(wanted, tags.after)
        if have != wanted:
            unless_check_mode(module, put_metric_alarm, client, **desired)
        apply_tags(module, tags, partial(tag_resource, client, current["AlarmArn"]),
                   partial(untag_resource, client, current["AlarmArn"]))

    if params["purge_alarms"]:
        removed = sorted(name for name in members if name not in declared)
        for name in removed:
            alarm, tags = members[name]
            before_view[name] = view(canonical(alarm), tags)
        if removed:
            unless_check_mode(module, delete_alarms, client, removed)

    # The headers name every alarm that changes: a unified diff's context may not reach an alarm's name.
    summary = "; ".join(
        "%s: %s" % (label, ", ".join(sorted(names))) for label, names in
        (("added", added), ("updated", updated), ("removed", removed)) if names
    ) or "no change"
    return {
        "changed": bool(added or updated or removed),
        "diff": {"before": before_view, "after": after_view, "before_header": "alarm set " + params["name_prefix"],
                 "after_header": summary},
        "alarms": sorted(declared),
        "added": sorted(added),
        "updated": sorted(updated),
        "removed": removed,
    }


def main():
    dimension_spec = dict(type="dict")
    metric_spec = dict(
        namespace=dict(type="str", required=True),
        metric_name=dict(type="str", required=True),
        dimensions=dimension_spec,
    )
    query_spec = dict(
        id=dict(type="str", required=True),
        expression=dict(type="str"),
        label=dict(type="str"),
        return_data=dict(type="bool", default=True),
        period=dict(type="int"),
        metric_stat=dict(
            type="dict",
            options=dict(
                metric=dict(type="dict", required=True, options=metric_spec),
                period=dict(type="int", required=True),
                stat=dict(type="str", required=True),
                unit=dict(type="str"),
            ),
        ),
    )
    alarm_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        namespace=dict(type="str"),
        metric_name=dict(type="str"),
        dimensions=dimension_spec,
        statistic=dict(type="str", choices=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
        extended_statistic=dict(type="str"),
        period=dict(type="int"),
        unit=dict(type="str"),
        metrics=dict(type="list", elements="dict", options=query_spec),
        evaluation_periods=dict(type="int", required=True),
        datapoints_to_alarm=dict(type="int"),
        threshold=dict(type="float", required=True),
        comparison_operator=dict(
            type="str",
            required=True,
            choices=["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
                     "LessThanOrEqualToThreshold"],
        ),
        treat_missing_data=dict(type="str", default="missing", choices=["breaching", "notBreaching", "ignore", "missing"]),
        actions_enabled=dict(type="bool", default=True),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
    )
    argument_spec = dict(
        name_prefix=dict(type="str", required=True),
        set_tags=dict(type="dict"),
        purge_alarms=dict(type="bool", default=True),
        alarms=dict(type="list", elements="dict", required=True, options=alarm_spec),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )

    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params["name_prefix"]:
        module.fail_json(msg="name_prefix must not be empty: it is what keeps other alarms out of the set")
    validate_alarms(module)
    client = module.client("cloudwatch")

    try:
        result = reconcile(module, client)
    except AnsibleCloudWatchError as e:
        module.fail_json_aws_error(e)
    exit_with_result(module, result["changed"], diff=result["diff"], alarms=result["alarms"], added=result["added"],
                     updated=result["updated"], removed=result["removed"])


if __name__ == "__main__":
    main()
