# -*- coding: utf-8 -*-
"""One build of the network, security (kms, iam, security groups) and audit tiers for the modules of the `tiers`
xdist group (test_network, test_security, test_iam_policies, test_audit), instead of one build per module.

Each module of the group declares:

    pytestmark = pytest.mark.xdist_group(TIERS_GROUP)
    TIER_TAGS = "network"                       # the --tags its tier needs
    TIER_STEPS = ALL_STEPS                      # optional: the runs it reads (default all four)
    def after_check_on_empty(emulator): ...     # optional: what it wants seen right after check mode on empty
    def before_first_run(emulator, tags): ...   # optional: what it makes with boto3 before the first run

and a module fixture that calls shared_tiers(emulator, request).build(). The build is: reset the emulator, check mode
on empty, the after_check_on_empty probes, the before_first_run hooks, first run, second run, check mode on converged
with --diff; all with the union of the TIER_TAGS of the group's modules collected in this session, so
`pytest tests/integration/test_network.py` (make test-quick) still builds the network tier alone while `make test`
builds network,security,audit once for the four modules.

The build is kept per emulator (one per xdist worker) in this module, not in a conftest fixture: a session-scoped
fixture defined here and imported into four modules would be four fixtures, built four times. Like conftest's
SharedSite it remembers the emulator's reset counter (`generation`): a reset since, or spoil(), means the next
build() starts afresh. A module that changes the tiers (test_security's client-VPN and single-key tests) says
SPOILS_SHARED_SITE = True (tests/conftest.py sorts it after the modules that only read) and calls spoil().
"""

from __future__ import annotations

from tests.tools.xdist_groups import group_of

from .harness import run_playbook

TIERS_GROUP = "tiers"
ALL_STEPS = ("check_empty", "first", "second", "check_converged")
_BUILDS = {}


def _modules(request):
    """The group's modules among this session's collected tests (sorted by name), the requesting one included."""
    modules = {request.module.__name__: request.module}
    for item in request.session.items:
        module = getattr(item, "module", None)
        if group_of(item) == TIERS_GROUP and hasattr(module, "TIER_TAGS"):
            modules.setdefault(module.__name__, module)
    return sorted(modules.values(), key=lambda m: m.__name__)


class SharedTiers:
    """The tiers' runs on one emulator: `runs` (check_empty, first, second, check_converged: PlaybookRuns), `probes`
    (what each module's after_check_on_empty saw, by module name) and `tags` (the --tags of every run)."""

    def __init__(self, emulator, modules):
        self.emulator = emulator
        self.modules = modules
        tags = []
        for module in modules:
            for tag in module.TIER_TAGS.split(","):
                if tag not in tags:
                    tags.append(tag)
        self.tags = ",".join(tags)
        self.steps = [s for s in ALL_STEPS if any(s in getattr(m, "TIER_STEPS", ALL_STEPS) for m in modules)]
        self.runs, self.probes = None, None
        self.generation = None

    def build(self):
        """The runs; made (again) when none exist, the emulator was reset since, or the build was spoiled."""
        if self.runs is None or self.generation != self.emulator.generation:
            self.emulator.reset()
            runs, probes = {}, {}
            if "check_empty" in self.steps:
                runs["check_empty"] = run_playbook(self.emulator, tags=self.tags, check=True)
                for module in self.modules:
                    if hasattr(module, "after_check_on_empty"):
                        probes[module.__name__] = module.after_check_on_empty(self.emulator)
            for module in self.modules:
                if hasattr(module, "before_first_run"):
                    module.before_first_run(self.emulator, self.tags)
            runs["first"] = run_playbook(self.emulator, tags=self.tags)
            if "second" in self.steps:
                runs["second"] = run_playbook(self.emulator, tags=self.tags)
            if "check_converged" in self.steps:
                runs["check_converged"] = run_playbook(self.emulator, tags=self.tags, check=True, diff=True)
            self.runs, self.probes, self.generation = runs, probes, self.emulator.generation
        return self

    def spoil(self):
        """The tiers were changed in a way later modules must not see: the next build() starts afresh."""
        self.generation = None


def shared_tiers(emulator, request) -> SharedTiers:
    """The SharedTiers of this emulator (one per worker process), made for the group's collected modules."""
    key = id(emulator)
    if key not in _BUILDS or _BUILDS[key].emulator is not emulator:
        _BUILDS[key] = SharedTiers(emulator, _modules(request))
    return _BUILDS[key]


def changed_in_roles(run, *roles) -> list:
    """The changed tasks of a run that belong to the given roles (their TASK lines read "<collection>.<role> : ...")."""
    return [t for t in run.changed_tasks() if t.split(" : ")[0].rsplit(".", 1)[-1] in roles]
