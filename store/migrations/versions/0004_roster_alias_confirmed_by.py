"""A roster alias says who confirmed it: empty for one read from the roster file, else the staff member (or cli)
who matched a report's name to the entry, so that importing a new roster file keeps what staff confirmed.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_aliases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", sa.String(length=100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("roster_aliases", schema=None) as batch_op:
        batch_op.drop_column("confirmed_by")
