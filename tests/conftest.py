# -*- coding: utf-8 -*-
"""Make ``ansible_collections.lifeworld.production`` importable in every test layer.

``.collections/ansible_collections/lifeworld/production`` links to the repository root; the collections that ship
inside the ``ansible`` package (amazon.aws, community.aws, ...) come from the interpreter's site-packages.
"""

import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".collections")
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
