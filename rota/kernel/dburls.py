"""Which database URLs rotabot accepts, checked without importing a database library."""

from __future__ import annotations

ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def url_problem(raw: str) -> str | None:
    """Why a DATABASE_URL cannot be used, or None if its scheme is one we support."""
    scheme, sep, rest = raw.strip().partition("://")
    if not sep or not scheme:
        return f"'{raw}' is not a database URL (e.g. sqlite:///rotabot.db)"
    if scheme not in ASYNC_DRIVERS:
        return (
            f"'{scheme}' databases are not supported: use sqlite:///file.db "
            "or postgresql://user@host/db"
        )
    if scheme.startswith("sqlite") and (
        not rest.startswith("/") or rest.strip("/") in ("", ":memory:")
    ):
        return (
            f"'{raw}' has no file (an in-memory database loses everything on restart): "
            "write sqlite:///rotabot.db"
        )
    return None
