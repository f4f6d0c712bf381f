# -*- coding: utf-8 -*-
# Copyright: Life World OS platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether RDS can create the engine version an inventory asks for, judged against DescribeDBEngineVersions.

RDS retires minor versions: "16.4" in an inventory can stop being creatable months later, and CreateDBInstance
then fails deep into a build. The rds role asks RDS first (amazon.aws.rds_engine_versions_info) and stops with
the versions RDS does offer. A major version alone ("16") is valid while RDS offers any 16.x: RDS then picks its
default minor.
EMULATOR: moto does not implement DescribeDBEngineVersions; tests/unit/plugins/filter/test_rds_versions.py feeds
the filter AWS's answer, and the local inventory turns the check off (rds_engine_version_check).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _key(version):
    return tuple(int(part) if part.isdigit() else part for part in str(version).split("."))


def rds_engine_version_problem(versions, wanted, region=""):
    """``versions``: db_engine_versions of amazon.aws.rds_engine_versions_info (engine postgres).
    Returns "" when ``wanted`` is creatable, else a message naming the versions that are."""
    if not isinstance(versions, list):
        raise AnsibleFilterError("rds_engine_version_problem expects the db_engine_versions list, got %r" % (versions,))
    wanted = str(wanted)
    offered = sorted({str(v.get("engine_version")) for v in versions if v.get("engine_version")}, key=_key)
    if not offered:
        # An empty answer means the check reached nothing it can judge by: that is a failure, not a pass.
        return ("rds_engine_version: RDS listed no PostgreSQL version%s, so %s cannot be checked (permissions: "
                "rds:DescribeDBEngineVersions)" % (" in " + region if region else "", wanted))
    major = wanted.split(".", maxsplit=1)[0]
    same_major = [v for v in offered if v.split(".", maxsplit=1)[0] == major]
    if wanted in offered or ("." not in wanted and same_major):
        return ""
    where = " in " + region if region else ""
    if same_major:
        return ("rds_engine_version: RDS cannot create PostgreSQL %s%s; it offers %s (or give the major version %s "
                "alone and RDS picks its default minor)" % (wanted, where, ", ".join(same_major), major))
    majors = sorted({v.split(".", maxsplit=1)[0] for v in offered}, key=_key)
    return ("rds_engine_version: RDS offers no PostgreSQL %s%s; its major versions: %s"
            % (wanted, where, ", ".join(majors)))


class FilterModule:
    def filters(self):
        return {"rds_engine_version_problem": rds_engine_version_problem}
