"""Each digest keeps the HTML it was sent with (a blob), so the web console shows past digests as staff got them;
indexes for the console's and the digest's reads: polls by time, versions by activity date (by attachment: 0003).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(op.f("fk_digest_runs_html_sha256_blobs"), "blobs", ["html_sha256"], ["sha256"])
    with op.batch_alter_table("poll_runs", schema=None) as batch_op:
        batch_op.create_index("ix_poll_runs_finished_at", ["finished_at"], unique=False)
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.create_index("ix_report_versions_activity_date", ["activity_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_report_versions_activity_date")
    with op.batch_alter_table("poll_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_runs_finished_at")
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_digest_runs_html_sha256_blobs"), type_="foreignkey")
        batch_op.drop_column("html_sha256")
