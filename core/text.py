"""Outside text made fit to show a person: one line, no controls or direction overrides, cut with an ellipsis."""

from __future__ import annotations

import re

ELLIPSIS = "…"

# Whitespace and the characters that break a line or the text's direction (C0/C1 controls, Unicode line and
# paragraph separators, bidi embeddings, overrides and isolates): none of them belongs in one line of text.
_BREAKING = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def one_line(text: str | None, limit: int) -> str:
    """text as one line of at most limit characters: breaks and controls become one space, cut with "…".

    Only the first few times limit characters are looked at, so a 10 MB value costs no more than a short one.
    """
    text = text or ""
    head = text[: limit * 4 + 64]
    flat = _BREAKING.sub(" ", head).strip()
    if len(flat) <= limit and len(head) == len(text):
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + ELLIPSIS
