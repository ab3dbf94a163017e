"""Regenerate docs/roster-sheet.png: the 汇总表's 报送情况 sheet of the demo, as LibreOffice prints it.

Runs the demo (samples/roster.xlsx and the sample mailbox) into a temporary folder, builds the sheet from its
store exactly as the digest does, converts it to PDF with LibreOffice headless and renders the page with
poppler's pdftoppm, cropped to what is printed. Run from the repository root:
`.venv/bin/python docs/render_roster.py` (needs `soffice` and `apt-get install -y poppler-utils fonts-noto-cjk`).
The test suite never needs this.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from openpyxl import Workbook  # noqa: E402

from core.settings import Settings  # noqa: E402
from digest.xlsx import add_coverage_sheet  # noqa: E402
from service.demo import run_demo  # noqa: E402
from store.coverage import coverage  # noqa: E402
from store.db import forget_store, open_store  # noqa: E402

OUT = REPO / "docs" / "roster-sheet.png"
DPI = 110
MARGIN = 12  # pixels kept around what is printed


def sheet_workbook(folder: Path) -> Path:
    """The demo's 报送情况 sheet alone in a workbook (the digest's 汇总表 has it as its second sheet)."""
    result = run_demo(Settings(data_dir=folder))
    settings = result.settings
    factory = open_store(settings.effective_database_url)
    with factory() as session:
        table = coverage(session, None, settings.season_months, today=result.digest_day or date.today(),
                         tz=settings.tz)
    forget_store(settings.effective_database_url)
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    add_coverage_sheet(book, table)
    path = folder / "报送情况.xlsx"
    book.save(path)
    return path


def to_pdf(xlsx: Path) -> Path:
    profile = xlsx.parent / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(xlsx.parent), str(xlsx)], check=True, capture_output=True, timeout=180)
    return xlsx.with_suffix(".pdf")


def printed_box(pdf: Path) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the first page's non-white pixels at DPI, read from a greyscale PGM rendering."""
    stem = pdf.with_name("page")
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, timeout=60)
    data = stem.with_suffix(".pgm").read_bytes()
    fields = data.split(maxsplit=4)  # P5, width, height, maxval, pixels
    width, height, pixels = int(fields[1]), int(fields[2]), fields[4]
    rows = [y for y in range(height) if min(pixels[y * width:(y + 1) * width]) < 250]
    columns = [x for x in range(width) if min(pixels[x::width]) < 250]
    left, top = max(columns[0] - MARGIN, 0), max(rows[0] - MARGIN, 0)
    return left, top, min(columns[-1] + MARGIN, width) - left, min(rows[-1] + MARGIN, height) - top


def main() -> int:
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing: apt-get install -y libreoffice-calc-nogui poppler-utils fonts-noto-cjk")
            return 1
    with tempfile.TemporaryDirectory() as tmp:
        pdf = to_pdf(sheet_workbook(Path(tmp)))
        x, y, w, h = printed_box(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", "-x", str(x),
                        "-y", str(y), "-W", str(w), "-H", str(h), str(pdf), str(OUT.with_suffix(""))],
                       check=True, timeout=60)
    print(OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
