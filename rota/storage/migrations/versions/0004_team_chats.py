"""team chats (groups a coordinator made the team's); outbox edits looked up by target

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rota.storage.tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'team_chats',
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('adopted_at', rota.storage.tables.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_team_chats')),
    )
    # The dispatcher looks for newer edits of the same message before sending an older one.
    op.create_index('ix_outbox_edit_of', 'outbox', ['edit_of'], unique=False)
    # Groups that already hold a rota post were made the team's by it.
    op.execute(
        "INSERT INTO team_chats (chat_id, adopted_at) SELECT chat_id, posted_at FROM team_posts"
    )


def downgrade() -> None:
    op.drop_table('team_chats')
    op.drop_index('ix_outbox_edit_of', table_name='outbox')
