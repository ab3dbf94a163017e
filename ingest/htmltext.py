"""Turns an HTML mail body into plain text (lxml), keeping line breaks where the eye sees them."""

from __future__ import annotations

import html
import re

import lxml.html

from ingest.headers import scrub

_BLOCKS = ("p", "div", "tr", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "section",
           "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "hr")
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """Collapse runs of spaces in each line and of blank lines; strip the ends."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document; scripts, styles and the head dropped. Never raises."""
    if not markup.strip():
        return ""
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        doc = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
        for bad in list(doc.iter("script", "style", "head", "title", "noscript")):
            bad.drop_tree()
        for br in doc.iter("br"):
            br.tail = "\n" + (br.tail or "")
        for block in doc.iter(*_BLOCKS):
            block.tail = "\n" + (block.tail or "")
        for cell in doc.iter("td", "th"):
            cell.tail = " " + (cell.tail or "")
        text = str(doc.text_content())
    except Exception:  # lxml refuses some documents (empty, broken); fall back to stripping tags
        text = html.unescape(_TAG.sub(" ", re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", markup)))
    return scrub(tidy(text))
