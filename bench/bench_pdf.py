"""Benchmark text PDFs per page: parse() against the PDF libraries' own extraction of the same page, and the two
candidate libraries against each other.

The pages: the bureau's template filled and exported by LibreOffice, and the same form drawn by reportlab. For each,
in this run and alternating: pdfplumber's words and ruling lines (what parsers/pdfjob.py asks of it), pypdfium2's
characters and page objects (the faster library, which would need a ruling-line finder of our own), a bare child
interpreter importing pdfplumber (the floor of reading in a capped child process), and parse() itself. Prints the
best time of each and parse()'s ratio to the child floor and to pdfplumber in-process; checks that both libraries
give the same characters. Run: .venv/bin/python -m bench.bench_pdf [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pdfplumber
import pypdfium2

from parsers import parse
from tests.parsers.builders import soffice_convert
from tests.parsers.pdfbuild import reportlab_form_pdf, seed_form_docx

REF = date(2026, 6, 1)


def best(work: Callable[[], object], rounds: int) -> float:
    work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def plumber(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        words = page.extract_words()
        _ = page.edges
        return "".join(w["text"] for w in words)


def pdfium(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[0]
        text = page.get_textpage()
        count = text.count_chars()
        chars = [text.get_text_range(i, 1) for i in range(count)]
        for i in range(count):
            text.get_charbox(i)
        list(page.get_objects())
        return "".join(chars)
    finally:
        document.close()


def child_floor() -> None:
    subprocess.run([sys.executable, "-c", "import pdfplumber"], check=True)


def _same_text(a: str, b: str) -> bool:
    """The same characters (in whatever order: the table finder orders them by position)."""
    return sorted(re.sub(r"\s+", "", a)) == sorted(re.sub(r"\s+", "", b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--soffice", default="soffice")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp) / "profile"
        profile.mkdir()
        libreoffice = soffice_convert(args.soffice, seed_form_docx(), ".docx", "pdf", profile)
    floor = best(child_floor, args.rounds)
    print(f"child interpreter importing pdfplumber: {floor * 1000:6.0f} ms (paid once per PDF)")
    for label, data in (("LibreOffice", libreoffice), ("reportlab", reportlab_form_pdf())):
        result = parse(data, "form.pdf", REF)
        assert result.ok, f"the {label} PDF did not parse: {result.failure}"
        ours = best(lambda d=data: parse(d, "form.pdf", REF), args.rounds)  # type: ignore[misc]
        plumb = best(lambda d=data: plumber(d), args.rounds)  # type: ignore[misc]
        fium = best(lambda d=data: pdfium(d), args.rounds)  # type: ignore[misc]
        same = "same characters" if _same_text(plumber(data), pdfium(data)) else "CHARACTERS DIFFER"
        print(f"{label:11} page: parse() {ours * 1000:6.0f} ms   pdfplumber {plumb * 1000:5.1f} ms   "
              f"pypdfium2 {fium * 1000:5.1f} ms ({same})   parse/child floor {ours / floor:4.1f}x   "
              f"parse/pdfplumber {ours / plumb:5.1f}x")


if __name__ == "__main__":
    main()
