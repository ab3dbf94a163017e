"""Messages keep a content fingerprint (a reused Message-ID is a duplicate only when the content agrees);
a failure may stand for a mail that could not be stored at all (no message row, its place in the mailbox).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("location", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.drop_column("location")
        batch_op.alter_column("message_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("content_sha256")
