"""The one vocabulary of codes every package shares: failure kinds, outcomes, statuses, with their Chinese words.

Each code is a StrEnum: its value is what is stored in the database, printed in JSON and matched in tests, so a
member compares equal to its string. Chinese text for staff (and, in receipts, for branches) lives here too, one
term per idea: 情况表, 更正, 重复, 待处理, 已解决, 已忽略.
"""

from __future__ import annotations

from enum import StrEnum

# Headers our own mail carries, so that it is never mistaken for a branch's (and never answered).
DIGEST_HEADER = "X-Intake-Digest"
RECEIPT_HEADER = "X-Intake-Receipt"

# The first warning of every form read from pixels (a scan, a phone photo, an image-only PDF page): the digest and
# the console mark such forms by it.
PIXELS_WARNING = "由图片识别，请核对"


class FailureKind(StrEnum):
    """Why an attachment or a message did not become a report.

    The value is the code used everywhere: parser, store, CLI JSON, digest, receipts and console.
    """

    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    TOO_LARGE = "too_large"
    EMPTY_FORM = "empty_form"
    NOT_A_FORM = "not_a_form"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CONVERTER_MISSING = "converter_missing"
    NO_ATTACHMENT = "no_attachment"
    CLOUD_ATTACHMENT = "cloud_attachment"
    TOO_COMPLEX = "too_complex"
    INTERNAL_ERROR = "internal_error"
    UNSTORABLE = "unstorable"

    @property
    def message(self) -> str:
        """The one-line Chinese message telling staff what to ask the branch (or what the administrator does)."""
        return STAFF_MESSAGES[self]

    @property
    def label(self) -> str:
        """The kind's short Chinese name, as staff see it beside the code: 附件已损坏 (corrupt)."""
        return KIND_LABELS[self]

    @property
    def advice(self) -> str:
        """What a 回执 tells the branch: what is wrong and exactly what to do (or that it need do nothing)."""
        return BRANCH_ADVICE[self]

    @property
    def wants_blank_form(self) -> bool:
        """Whether the branch's receipt should carry the blank form: it sent no usable 情况表 at all."""
        return self in {FailureKind.EMPTY_FORM, FailureKind.NOT_A_FORM, FailureKind.UNSUPPORTED_FORMAT}


STAFF_MESSAGES: dict[FailureKind, str] = {
    FailureKind.CORRUPT: "附件已损坏，无法打开，请联系报送单位重新发送",
    FailureKind.ENCRYPTED: "附件已加密，请联系报送单位去掉密码后重新发送",
    FailureKind.TOO_LARGE: "附件过大或异常，请联系报送单位检查后重新发送",
    FailureKind.EMPTY_FORM: "情况表未填写内容，请联系报送单位填写后重新发送",
    FailureKind.NOT_A_FORM: "附件中未找到情况表，请联系报送单位使用通知附件中的表格填写后发送",
    FailureKind.UNSUPPORTED_FORMAT: "附件格式无法识别，请联系报送单位另存为 Word 或 Excel 后发送",
    FailureKind.CONVERTER_MISSING: "旧版文档需要转换组件（LibreOffice），管理员安装后可重新解析，无需报送单位重发",
    FailureKind.NO_ATTACHMENT: "邮件未带附件，请联系报送单位补发情况表",
    FailureKind.CLOUD_ATTACHMENT: "附件为超大附件下载链接，请联系报送单位直接以附件形式发送",
    FailureKind.TOO_COMPLEX: (
        "邮件层级过深或部件过多，超出部分未读取（原邮件已保存），请联系报送单位把情况表直接作为附件重新发送"
    ),
    FailureKind.INTERNAL_ERROR: "系统处理此邮件时出错，原邮件已保存；管理员修复后重新解析即可，无需报送单位重发",
    FailureKind.UNSTORABLE: (
        "邮件无法保存到数据库，只记下了它在邮箱中的位置；请在网页邮箱中按位置找到并手工处理，同时通知管理员"
    ),
}

BRANCH_ADVICE: dict[FailureKind, str] = {
    FailureKind.CORRUPT: "附件已损坏，无法打开。请重新保存情况表后再发送。",
    FailureKind.ENCRYPTED: "附件设置了密码，无法打开。请去掉密码后重新发送。",
    FailureKind.TOO_LARGE: "附件过大或内容异常，无法读取。请只发送情况表本身，检查后重新发送。",
    FailureKind.EMPTY_FORM: "情况表尚未填写内容。请填写后重新发送（本邮件附有空白情况表）。",
    FailureKind.NOT_A_FORM: "附件中没有找到情况表。请使用通知所附的表格填写后发送（本邮件附有空白情况表）。",
    FailureKind.UNSUPPORTED_FORMAT: (
        "附件格式无法识别。请另存为 Word（.docx）或 Excel（.xlsx）后重新发送（本邮件附有空白情况表）。"
    ),
    FailureKind.CONVERTER_MISSING: "附件为旧版文档格式，已收到并保存，工作人员处理后即可读取，无需重新发送。",
    FailureKind.NO_ATTACHMENT: "邮件中没有附件。请补发情况表（作为邮件附件）。",
    FailureKind.CLOUD_ATTACHMENT: "附件是超大附件下载链接，系统无法下载。请直接以普通附件形式发送情况表。",
    FailureKind.TOO_COMPLEX: "邮件层级过深或附件过多，部分内容未能读取。请把情况表直接作为附件单独发送。",
    FailureKind.INTERNAL_ERROR: "邮件已收到并保存，系统处理时出现问题，工作人员处理后即可读取，无需重新发送。",
    FailureKind.UNSTORABLE: "邮件已收到，系统保存时出现问题，工作人员会手工处理，无需重新发送。",
}

KIND_LABELS: dict[FailureKind, str] = {
    FailureKind.CORRUPT: "附件已损坏",
    FailureKind.ENCRYPTED: "附件已加密",
    FailureKind.TOO_LARGE: "附件过大或异常",
    FailureKind.EMPTY_FORM: "情况表未填写",
    FailureKind.NOT_A_FORM: "未找到情况表",
    FailureKind.UNSUPPORTED_FORMAT: "附件格式无法识别",
    FailureKind.CONVERTER_MISSING: "缺少转换组件",
    FailureKind.NO_ATTACHMENT: "未带附件",
    FailureKind.CLOUD_ATTACHMENT: "超大附件链接",
    FailureKind.TOO_COMPLEX: "邮件结构过于复杂",
    FailureKind.INTERNAL_ERROR: "系统处理出错",
    FailureKind.UNSTORABLE: "邮件无法入库",
}


class MessageOutcome(StrEnum):
    """What became of one message. PENDING only between recording it and settling it, inside one transaction;
    SKIPPED is never stored: the message was done before (same UID), so this run left it alone."""

    PENDING = "pending"
    SKIPPED = "skipped"
    REPORT = "report"
    DUPLICATE = "duplicate"
    FAILURE = "failure"
    IGNORED = "ignored"
    MIXED = "mixed"  # more than one of report / duplicate / failure


class IgnoreReason(StrEnum):
    """Why a message is no branch's report and no failure either."""

    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OWN_DIGEST = "own_digest"
    MAILING_LIST = "mailing_list"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label(self) -> str:
        return IGNORE_LABELS[self]


IGNORE_LABELS: dict[IgnoreReason, str] = {
    IgnoreReason.AUTO_REPLY: "自动回复",
    IgnoreReason.BOUNCE: "退信",
    IgnoreReason.OWN_DIGEST: "本服务发出的邮件",
    IgnoreReason.MAILING_LIST: "邮件列表或群发",
    IgnoreReason.OUT_OF_SCOPE: "与本次活动无关",
}


class FailureStatus(StrEnum):
    """Where a failure (a 待处理 item) stands."""

    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[FailureStatus, str] = {
    FailureStatus.OPEN: "待处理",
    FailureStatus.RESOLVED: "已解决",
    FailureStatus.IGNORED: "已忽略",
}


class FormOutcome(StrEnum):
    """What one parsed form became on the dedup ladder (steps 4-5)."""

    NEW_REPORT = "new_report"
    NEW_VERSION = "new_version"
    DUPLICATE_FORM = "duplicate_form"


class DuplicateKind(StrEnum):
    """What arrived again: a whole message, one attachment, or one form's content."""

    MESSAGE = "message"
    ATTACHMENT = "attachment"
    FORM = "form"


class DigestMode(StrEnum):
    """How a digest was made: sent over SMTP, written to the outbox folder as the day's digest (no SMTP host),
    or written to a folder as a dry run, which never marks the day done."""

    SEND = "send"
    OUTBOX = "outbox"
    DRY_RUN = "dry-run"


class ReceiptKind(StrEnum):
    """What a 回执 tells a branch: what we read, that it came before, or what to fix."""

    REPORT = "report"
    DUPLICATE = "duplicate"
    FAILURE = "failure"


class ReceiptStatus(StrEnum):
    """Where a 回执 stands: waiting to go, handed to the SMTP server, failed to go (retried), or never to go."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class Role(StrEnum):
    """What a console account may do: staff read and close items; admins also manage accounts."""

    STAFF = "staff"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


class AuditAction(StrEnum):
    """What a person changed, as the audit log keeps it (who, what, when, note), from the console or the CLI."""

    RESOLVE = "resolve"
    IGNORE = "ignore"
    REPARSE = "reparse"
    ALIAS = "roster_alias"  # as store.roster records a confirmed name (main)
    USER_ADD = "user_add"
    USER_DISABLE = "user_disable"
    USER_ENABLE = "user_enable"
    USER_PASSWORD = "user_password"
    USER_ROLE = "user_role"

    @property
    def label(self) -> str:
        return AUDIT_LABELS[self]


AUDIT_LABELS: dict[AuditAction, str] = {
    AuditAction.RESOLVE: "标记为已解决",
    AuditAction.IGNORE: "标记为已忽略",
    AuditAction.REPARSE: "重新解析",
    AuditAction.ALIAS: "确认名称",
    AuditAction.USER_ADD: "新建账号",
    AuditAction.USER_DISABLE: "停用账号",
    AuditAction.USER_ENABLE: "启用账号",
    AuditAction.USER_PASSWORD: "修改密码",
    AuditAction.USER_ROLE: "修改角色",
}

ROLE_LABELS: dict[Role, str] = {Role.STAFF: "工作人员", Role.ADMIN: "管理员"}


class AuditTarget(StrEnum):
    """What an audit entry is about (its target_kind); target_id is that row's id."""

    FAILURE = "failure"
    REPORT = "report"
    ROSTER = "roster"
    USER = "user"
