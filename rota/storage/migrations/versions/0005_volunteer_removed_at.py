"""volunteers.removed_at: when a coordinator removed someone (their data goes a period later)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rota.storage.tables

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('removed_at', rota.storage.tables.UTCDateTime(), nullable=True)
        )
    # Volunteers removed before this revision (and not yet forgotten) start their retention
    # period now: their removal date was never recorded.
    # The database's own clock, in UTC (the project stores naive UTC).
    bind = op.get_bind()
    utc_now = (
        "timezone('utc', CURRENT_TIMESTAMP)"
        if bind.dialect.name == "postgresql"
        else "CURRENT_TIMESTAMP"  # SQLite's is UTC
    )
    bind.execute(
        sa.text(
            f"UPDATE volunteers SET removed_at = {utc_now} "
            "WHERE status = 'removed' AND telegram_id IS NOT NULL"
        )
    )

def downgrade() -> None:
    with op.batch_alter_table('volunteers', schema=None) as batch_op:
        batch_op.drop_column('removed_at')
