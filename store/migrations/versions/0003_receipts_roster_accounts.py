"""Receipts to branches (an outbox table), the roster of branches with aliases and addresses (reports may be
linked to an entry), the web console's accounts, sessions and audit log; an index on the attachment a report
version came from (the duplicates listing looks versions up by it).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_versions_attachment_id"), ["attachment_id"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("in_reply_to", sa.String(length=1000), nullable=False),
        sa.Column("mail_sha256", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", NOW, nullable=False),
        sa.Column("sent_at", NOW, nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_receipts_message_id_messages")),
        sa.ForeignKeyConstraint(["mail_sha256"], ["blobs.sha256"], name=op.f("fk_receipts_mail_sha256_blobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("message_id", name="uq_receipts_message_id"),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index("ix_receipts_status", ["status"], unique=False)
        batch_op.create_index("ix_receipts_to_address_queued_at", ["to_address", "queued_at"], unique=False)

    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=False),
        sa.Column("group_name", sa.Text(), nullable=False),
        sa.Column("contact_person", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
        sa.UniqueConstraint("name_key", name="uq_roster_entries_name_key"),
    )
    op.create_table(
        "roster_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("alias_key", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["roster_entries.id"],
                                name=op.f("fk_roster_aliases_entry_id_roster_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_aliases")),
        sa.UniqueConstraint("alias_key", name="uq_roster_aliases_alias_key"),
    )
    op.create_table(
        "roster_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["roster_entries.id"],
                                name=op.f("fk_roster_emails_entry_id_roster_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_emails")),
        sa.UniqueConstraint("entry_id", "address", name="uq_roster_emails_entry_address"),
    )
    with op.batch_alter_table("roster_emails", schema=None) as batch_op:
        batch_op.create_index("ix_roster_emails_address", ["address"], unique=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_entry_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_reports_roster_entry_id", ["roster_entry_id"], unique=False)
        batch_op.create_foreign_key(op.f("fk_reports_roster_entry_id_roster_entries"), "roster_entries",
                                    ["roster_entry_id"], ["id"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", NOW, nullable=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("password_changed_at", NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=100), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("expires_at", NOW, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("token_sha256", name=op.f("pk_web_sessions")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", NOW, nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_kind", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_target", ["target_kind", "target_id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("web_sessions")
    op.drop_table("users")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_reports_roster_entry_id_roster_entries"), type_="foreignkey")
        batch_op.drop_index("ix_reports_roster_entry_id")
        batch_op.drop_column("roster_entry_id")
    op.drop_table("roster_emails")
    op.drop_table("roster_aliases")
    op.drop_table("roster_entries")
    op.drop_table("receipts")
    with op.batch_alter_table("report_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_versions_attachment_id"))
