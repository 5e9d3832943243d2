"""What a serving process does once it has started: the cycle collector, off while it started
(``bot/__main__.py``), is on again, and the safety net and search indexes are made ready on the
background pool."""

from __future__ import annotations

import gc

from bot.config import Settings
from bot.runtime import build_heart, load_content


def test_serving_turns_the_collector_on_and_readies_the_safety_net_in_the_background(settings: Settings):
    load_content(settings.content_dir)  # cached: the next read keeps the safety net pickled
    heart = build_heart(settings)
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        assert heart.content.shareout.safety_net._pickled is not None
        heart.start_services()
        assert gc.isenabled()
        heart.background.wait()
        assert heart.content.shareout.safety_net._pickled is None  # unpickled by the pool
        assert heart.content.shareout.crisis.hears("I want to die") is not None
    finally:
        heart.close()
        gc.unfreeze()  # what the pool froze is this test run's
        if not was_enabled:
            gc.disable()
