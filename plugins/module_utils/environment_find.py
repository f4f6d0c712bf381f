# -*- coding: utf-8 -*-

# Copyright: Contributors to the lifeworld.production collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The contract's resources as they exist: for each contract key, its id or ARN, and for each one missing, the
``--tags`` of site.yml that builds it (the component column of plugins/module_utils/contract.py NAMES: the site's
steps are tagged by component). What lifeworld.production.environment_info answers for the lookup roles.
"""

from typing import Any
from typing import Callable
from typing import Dict
from typing import Iterable
from typing import List
from typing import Optional

from ansible_collections.lifeworld.production.plugins.module_utils import contract
from ansible_collections.lifeworld.production.plugins.module_utils import environment_read as reader

COMPONENTS = {key: component for key, component, dummy, dummy_pattern in contract.NAMES}

# Names given by type rather than by contract key (a role with names of its own), and the step that builds each.
EXTRA_TYPES = {"kms_aliases": ("kms_alias", "security"), "security_groups": ("security_group", "security"),
               "iam_roles": ("iam_role", "security"), "secrets": ("secret", "data")}


def wanted_names(names: Dict[str, str], keys: Iterable[str]) -> Dict[str, str]:
    """key -> name of the keys asked for; a key the contract cannot name with the inputs given is an error."""
    unknown = [key for key in keys if key not in reader.KEY_TYPES]
    if unknown:
        raise ValueError("environment_info cannot read %s; it reads %s" % (
            ", ".join(unknown), ", ".join(sorted(reader.KEY_TYPES))))
    unnamed = [key for key in keys if key not in names]
    if unnamed:
        raise ValueError("%s need project and environment to be named" % ", ".join(unnamed))
    return {key: names[key] for key in keys}


def find(client_for: Callable[[str], Any], names: Dict[str, str], keys: Iterable[str],
         extra: Optional[Dict[str, List[str]]] = None, vpc_id: Optional[str] = None,
         with_subnets: bool = False) -> Dict[str, Any]:
    """Read the keys (and the extra names by type) in one batch per type.

    Returns ``ids`` (key -> id/ARN), ``found`` (type -> {name: id/ARN}), ``missing`` (``{key, type, name, tags}``
    of each absent resource, key None for an extra name), ``missing_tags`` (the --tags that build them, in site
    order), ``vpc`` ({id, cidr} or None) and, with_subnets, ``subnets`` (the VPC's, ec2_vpc_subnet_info shaped).
    """
    wanted = wanted_names(names, keys)
    pairs = [(reader.KEY_TYPES[key], name) for key, name in wanted.items()]
    extra = extra or {}
    for option, (kind, dummy) in EXTRA_TYPES.items():
        pairs += [(kind, name) for name in extra.get(option) or []]
    resources = reader.read(client_for, pairs, vpc_id=vpc_id)
    found = {kind: {name: reader.identifier(kind, r) for name, r in by_name.items()}
             for kind, by_name in resources.items()}
    ids, missing = {}, []
    for key, name in wanted.items():
        kind = reader.KEY_TYPES[key]
        if name in found.get(kind, {}):
            ids[key] = found[kind][name]
        else:
            missing.append({"key": key, "type": kind, "name": name, "tags": COMPONENTS[key]})
    for option, (kind, step) in EXTRA_TYPES.items():
        missing += [{"key": None, "type": kind, "name": name, "tags": step} for name in extra.get(option) or []
                    if name not in found.get(kind, {}) and name not in wanted.values()]
    steps = [component for dummy, component, dummy_what, dummy_pattern in contract.NAMES]
    result = {"ids": ids, "found": found, "missing": missing,
              "missing_tags": sorted({m["tags"] for m in missing}, key=steps.index), "vpc": None}
    vpc = next(iter(resources.get("vpc", {}).values()), None)
    if vpc:
        result["vpc"] = {"id": vpc["VpcId"], "cidr": vpc["CidrBlock"]}
    if with_subnets:
        result["subnets"] = reader.subnets(client_for("ec2"), vpc["VpcId"]) if vpc else []
    return result
