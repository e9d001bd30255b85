"""What the briefings use cases need from storage (filled in with the feature)."""

from __future__ import annotations

from typing import Protocol


class BriefingRepository(Protocol):
    """Storage for the briefings feature."""
