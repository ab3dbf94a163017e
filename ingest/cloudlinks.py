"""Finds 超大附件 (QQ / NetEase cloud-attachment) download links in a mail body instead of a real attachment."""

from __future__ import annotations

import html
import re

from ingest.headers import scrub

# Download pages of QQ Mail 超大附件 (ftn) and NetEase 163/126/yeah 超大附件 / 网易大师 links.
_CLOUD_URL = re.compile(
    r"""https?://[^\s"'<>()\[\]]*?(?:"""
    r"""qq\.com/cgi-bin/ftnExs_download|qq\.com/cgi-bin/ftnGetDownload|qq\.com/ftn/download|ftn\.qq\.com/"""
    r"""|dashi\.163\.com/|(?:163|126|yeah)\.(?:com|net)/large-attachment-download|large-attachment-download"""
    r"""|(?:163|126)\.com/[^\s"'<>]*bigattach|fs\.(?:163|126)\.com/"""
    r""")[^\s"'<>]*""",
    re.IGNORECASE,
)
_MARKERS = ("超大附件", "超大 附件", "文件中转站")
_LINE_LIMIT = 200


def find_cloud_links(*texts: str) -> tuple[str, ...]:
    """Cloud-attachment URLs in the texts (HTML or plain), in order, without repeats.

    When a text says 超大附件 but no link is recognised, the line saying so is returned instead, so the mail is
    still reported as a cloud attachment.
    """
    found: list[str] = []
    for text in texts:
        for match in _CLOUD_URL.finditer(text):
            url = scrub(html.unescape(match.group(0)).rstrip(".,;，。；"))
            if url not in found:
                found.append(url)
    if found:
        return tuple(found)
    for text in texts:
        for line in text.splitlines():
            if any(marker in line for marker in _MARKERS):
                snippet = scrub(re.sub(r"<[^>]*>", " ", line)).strip()[:_LINE_LIMIT]
                snippet = " ".join(snippet.split())
                if snippet and snippet not in found:
                    found.append(snippet)
        if found:
            break
    return tuple(found)
