"""Refusal codes of erasure (worded in bot/privacy)."""

from __future__ import annotations

from rota.kernel.errors import RefusalCode


class PrivacyRefusal(RefusalCode):
    """Why details cannot be erased yet."""

    OWN_ALERT_OPEN = ()
    ALERT_OPEN_ABOUT = ("name",)
