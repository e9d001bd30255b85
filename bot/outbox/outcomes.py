"""What a Telegram error means for a message we owe someone: retry, give up, or unknown."""

from __future__ import annotations

import datetime as dtm
import warnings

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from rota.kernel.delivery import GiveUp, Outcome, RetryLater, Sent


def retry_after(err: RetryAfter) -> dtm.timedelta:
    """Telegram's requested pause, whatever PTB's int/timedelta migration setting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = err.retry_after
    if isinstance(value, dtm.timedelta):
        return value
    return dtm.timedelta(seconds=float(value))


def classify(err: Exception, *, repeat_if_unsure: bool) -> Outcome:
    """Map a send failure to an outcome; order matters, BadRequest is a NetworkError.

    A timeout leaves the outcome unknown (Telegram may have delivered it): alarms are sent
    again (a duplicate is acceptable, a loss is not); ordinary notices are not repeated.
    """
    if isinstance(err, RetryAfter):
        return RetryLater(f"429: {err.message}", after=retry_after(err))
    if isinstance(err, Forbidden):
        return GiveUp(f"403: {err.message}", unreachable=True)
    if isinstance(err, TimedOut):
        if repeat_if_unsure:
            return RetryLater(f"timed out: {err.message}")
        return Sent(message_id=None)
    if isinstance(err, BadRequest):
        return GiveUp(f"400: {err.message}")
    if isinstance(err, NetworkError):
        return RetryLater(f"network: {err.message}")
    raise err
