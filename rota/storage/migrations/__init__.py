"""Alembic migrations for rotabot's schema."""
