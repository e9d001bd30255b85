"""What the staffing use cases need from storage (filled in with the feature)."""

from __future__ import annotations

from typing import Protocol


class StaffingRepository(Protocol):
    """Storage for the staffing feature."""
