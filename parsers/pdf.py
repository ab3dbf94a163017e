"""Read a PDF: its text pages into the blocks the layout finder reads, and its scanned pages as pictures for OCR.

The PDF is read in a child process (parsers/worker.py, parsers/pdfjob.py) under a memory cap and the parse
deadline; a PDF of more than MAX_PDF_PAGES pages is too_large, one that needs a password is encrypted. JavaScript,
forms and attachments inside a PDF are never run or opened: only the text layer and the ruling lines are read.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from parsers.grid import Rule, Word, page_blocks
from parsers.layout import Block
from parsers.limits import Deadline
from parsers.worker import run_job

MAX_PDF_PAGES = 20
"""A 情况表 takes one or two pages; a PDF with more than this many is refused as too_large before it is read."""
RENDER_DPI = 200
"""Resolution at which a scanned page is rendered for OCR."""


@dataclass
class PdfContent:
    """A PDF's text pages as blocks, and its scanned pages as PNG pictures (rendered only when asked for)."""

    blocks: list[Block] = field(default_factory=list)
    scans: list[bytes] = field(default_factory=list)
    scanned_pages: int = 0


def read_pdf(data: bytes, deadline: Deadline, render_scans: bool) -> PdfContent:
    """The PDF's content; raises JobFailed (encrypted, too_large, corrupt) or LimitExceeded."""
    options = {"max_pages": MAX_PDF_PAGES, "render_dpi": RENDER_DPI if render_scans else 0}
    answer = run_job("pdf", data, options, deadline)
    content = PdfContent()
    for page in answer["pages"]:
        if page["scan"]:
            content.scanned_pages += 1
            if "png" in page:
                content.scans.append(base64.b64decode(page["png"]))
            continue
        words = [Word(x0, top, x1, bottom, text) for x0, top, x1, bottom, text in page["words"]]
        rules = [Rule(*rule) for rule in page["rules"]]
        content.blocks.extend(page_blocks(words, rules).blocks)
    return content
