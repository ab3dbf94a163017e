"""Each digest keeps the HTML it was sent with (a blob), so the web console shows past digests as staff got them.

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
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(op.f("fk_digest_runs_html_sha256_blobs"), "blobs", ["html_sha256"], ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_digest_runs_html_sha256_blobs"), type_="foreignkey")
        batch_op.drop_column("html_sha256")
