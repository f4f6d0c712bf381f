# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judging a recorded checklist (playbooks/tasks/record_checklist.yml writes them) as evidence for another check.

Production's pre-migration checklist opens with the plan's "Staging environment fully tested on AWS": what can be
checked of it is that staging's post-migration checklist (verify.yml against inventories/staging) was recorded,
recently, for the staging environment, with every item met. The rest of docs/runbooks/staging.md (deploy,
rollback, DR drill, migration rehearsal) is for a person to confirm; preflight says so.
"""

from __future__ import annotations

import datetime

from ansible.errors import AnsibleFilterError

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _parse(value, what):
    try:
        return datetime.datetime.strptime(str(value), _FORMAT)
    except ValueError as exc:
        raise AnsibleFilterError("staging_record_findings: %s %r is not YYYY-MM-DDThh:mm:ssZ" % (what, value)) from exc


def staging_record_findings(record, now, max_age_days=14, environment="staging"):
    """What keeps a recorded verify.yml run from proving staging was tested: [] when it proves it.

    ``record`` is the parsed record (None or empty when there is none), ``now`` the time to judge its age against.
    A record of another environment, with an unmet or no item, or older than ``max_age_days``, is not evidence.
    """
    if not record:
        return ["no recorded verify.yml run of the %s environment" % environment]
    findings = []
    if record.get("checklist") != "verify":
        findings.append("the record is of %s, not verify.yml" % (record.get("checklist") or "an unknown checklist"))
    if record.get("environment") != environment:
        findings.append("the record is of the %s environment, not %s" % (record.get("environment"), environment))
    total, met = int(record.get("total") or 0), int(record.get("met_count") or 0)
    if total == 0:
        findings.append("the recorded run checked nothing")
    elif met != total or record.get("unmet"):
        findings.append("%d of %d met in the recorded run (unmet: %s)" % (met, total, "; ".join(record.get("unmet") or [])))
    if "recorded_at" not in record:
        findings.append("the record has no time")
    else:
        age = _parse(now, "now") - _parse(record["recorded_at"], "recorded_at")
        if age > datetime.timedelta(days=int(max_age_days)):
            findings.append("recorded %s, %d days ago (at most %d)" % (record["recorded_at"], age.days, int(max_age_days)))
        elif age < datetime.timedelta(0):
            findings.append("recorded %s, in the future" % record["recorded_at"])
    return findings


class FilterModule:
    def filters(self):
        return {"staging_record_findings": staging_record_findings}
