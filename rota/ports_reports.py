"""What the reports use cases need from storage (filled in with the feature)."""

from __future__ import annotations

from typing import Protocol


class ReportRepository(Protocol):
    """Storage for the reports feature."""
