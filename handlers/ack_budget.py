"""Writes that may wait for the database without making Slack wait.

Slack gives a request 3 seconds to be acknowledged. A write normally takes milliseconds,
but another process (a CLI command, a backup) may hold SQLite's write lock for longer.
A listener starts its write here and waits at most :data:`ACK_BUDGET_SECONDS`: if the
write is done by then it acknowledges with the outcome; if not, it acknowledges with a
"saving" note at once and tells the member the outcome after the ack, once the write
has finished.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.models.views import View

from handlers.common import after_ack

# Time left within Slack's 3 s for building and sending the acknowledgement itself.
ACK_BUDGET_SECONDS = 1.5
# Writers queue on the store's lock anyway; a few threads are enough to keep acks free.
_writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ack-budget-write")

T = TypeVar("T")


def start(write: Callable[[], T]) -> Future[T]:
    """Begin ``write`` on a writer thread (it gets its own database connection there)."""
    return _writers.submit(write)


def done_in_time(write: Future[T]) -> bool:
    """Wait for ``write`` while an acknowledgement can still wait; True if it has finished
    (or failed: its ``result()`` then raises, to be handled as any listener error)."""
    try:
        write.exception(timeout=ACK_BUDGET_SECONDS)  # waits on the future alone; its own error is not raised here
    except TimeoutError:
        return False
    return True


@dataclass
class FormAnswer:
    """Where a form submission's outcome goes: into the acknowledgement while Slack still waits
    for it, or, once a "saving" view was acknowledged instead, onto the same modal (views.update).

    ``context`` and ``body`` are the request's, for work done after the acknowledgement.
    """

    ack: Ack
    client: WebClient
    view_id: str
    context: Mapping[str, Any]
    body: dict[str, Any]
    late: bool = False

    def later(self, work: Callable[[], object]) -> None:
        """Run ``work`` after the acknowledgement (:func:`handlers.common.after_ack`)."""
        after_ack(self.context, self.body, work)

    def when_written(self, write: Future[Any], saving: View, finish: Callable[[], None]) -> None:
        """Call ``finish`` (which reads ``write.result()``): at once if ``write`` is done within the
        budget; past it, acknowledge with ``saving`` and call it after the ack (where reading the
        result waits for the write)."""
        if done_in_time(write):
            finish()
            return
        self.ack(response_action="update", view=saving)
        self.late = True
        self.later(finish)

    def show(self, view: View) -> None:
        """Put ``view`` in place of the form."""
        if self.late:
            self.client.views_update(view_id=self.view_id, view=view)
        else:
            self.ack(response_action="update", view=view)

    def errors(self, errors: dict[str, str], as_view: Callable[[str], View]) -> None:
        """Field errors on the form, or, once it shows "saving", ``as_view`` of their text."""
        if self.late:
            self.show(as_view(" ".join(errors.values())))
        else:
            self.ack(response_action="errors", errors=errors)
