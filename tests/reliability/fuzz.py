"""Hypothesis profiles for the reliability properties, and the loop that runs one property.

Profiles: ``reliability`` (the default, sized so the whole run stays quick) and
``reliability-thorough`` (ten times the cases, for a nightly run):
``HEART_FUZZ_PROFILE=reliability-thorough python -m pytest tests/reliability``.
The report's case counts are those of the default profile.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.strategies import SearchStrategy

from tests.reliability.ledger import ran

_COMMON: dict[str, Any] = {
    "deadline": None,  # a case's time is the bot's business (bench/), not the property's
    "database": None,  # no example database in the work tree
    "derandomize": True,  # the same cases every run, so the report's counts hold
    "phases": (Phase.explicit, Phase.generate, Phase.shrink),
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("reliability", max_examples=1, **_COMMON)
settings.register_profile("reliability-thorough", max_examples=10, **_COMMON)
PROFILE = os.environ.get("HEART_FUZZ_PROFILE", "reliability")
# A property's own size is multiplied by the profile's, so the thorough profile scales them all.
SCALE = settings.get_profile(PROFILE).max_examples


def run_property(examples: int, what: str, check: Callable[..., None], **strategies: SearchStrategy[Any]) -> None:
    """Run ``check`` on ``examples`` generated cases (times the profile's scale) and make sure
    that many really ran: the report declares ``examples``."""
    count: list[int] = []

    @settings(settings.get_profile(PROFILE), max_examples=examples * SCALE)
    @given(**strategies)
    def case(**drawn: Any) -> None:
        count.append(1)
        check(**drawn)

    case()
    ran(len(count), examples, what)
