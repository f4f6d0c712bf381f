# -*- coding: utf-8 -*-
"""Make ``ansible_collections.lifeworld.production`` importable in every test layer.

``.collections/ansible_collections/lifeworld/production`` links to the repository root; the collections that ship
inside the ``ansible`` package (amazon.aws, community.aws, ...) come from the interpreter's site-packages.
"""

import os
import sys

import pytest

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """pytest.ini distributes with --dist loadgroup: ungrouped tests would go one by one to any worker, but modules
    keep state in module fixtures (a built environment, a sanity tree), so each module is its own group unless it
    declared one (tests/integration/conftest.py's SITE_GROUP, shared by the modules that use one site build)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    # A module that leaves the shared site build changed (SPOILS_SHARED_SITE = True) runs after the modules that
    # read it, so the build is made once (sort is stable: every other order is kept).
    items.sort(key=lambda item: bool(getattr(item.module, "SPOILS_SHARED_SITE", False)))
