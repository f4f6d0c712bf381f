# -*- coding: utf-8 -*-
"""The xdist group of a collected test, read the one way tests/conftest.py (ordering) and
tests/integration/tiers.py (which modules share the tiers build) both need."""


def group_of(item):
    """The name given to the item's xdist_group marker, or None when it has none."""
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    return marker.kwargs.get("name", marker.args[0] if marker.args else "default")
