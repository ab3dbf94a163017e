"""The one vocabulary of failure kinds, with the Chinese line staff act on."""

from __future__ import annotations

from enum import StrEnum


class FailureKind(StrEnum):
    """Why an attachment or a message did not become a report.

    The value is the code used everywhere: parser, store, CLI JSON and digest.
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
    INTERNAL_ERROR = "internal_error"

    @property
    def message(self) -> str:
        """The one-line Chinese message telling staff what to ask the branch."""
        return STAFF_MESSAGES[self]


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
    FailureKind.INTERNAL_ERROR: "系统处理此邮件时出错，原邮件已保存；管理员修复后重新解析即可，无需报送单位重发",
}
