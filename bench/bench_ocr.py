"""Benchmark reading forms from pixels: accuracy on our own set, time and memory per page against the engine alone.

The set: the bureau's template filled and exported by LibreOffice and the same form drawn by reportlab, rendered
at 150, 200 and 300 dpi, as an image-only PDF, and photographed phone-style (turned, lit unevenly, noisy,
blurred); plus an activity photo that must stay not_a_form. Each field of each form is scored exact (equal to the
typed value once white space is dropped: OCR does not see spaces), flagged (left empty with a warning naming it) or
wrong. Time: parse() of each page against RapidOCR's own run on the same picture (a fresh process with its default
settings, as `python -m rapidocr_onnxruntime` would), both in this run, alternating; goal 5 s a page. Memory: the
resident peak of the OCR child process (goal 600 MB). Run: .venv/bin/python -m bench.bench_ocr
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

from parsers import parse
from parsers.ocr import CONFIDENCE_THRESHOLD
from tests.parsers.builders import soffice_convert
from tests.parsers.pdfbuild import (
    activity_photo,
    image_only_pdf,
    phone_photo,
    render_png,
    reportlab_form_pdf,
    seed_form_docx,
)

REF = date(2026, 6, 1)
THRESHOLDS = (0.0, 0.8, 0.85, 0.9, 0.93, 0.95, CONFIDENCE_THRESHOLD)
FIELDS = ("org_name", "headcount_text", "agenda", "summary", "contact_person", "contact_phone")
NAMES = {"org_name": "党组织名称", "headcount_text": "人数", "agenda": "议程", "summary": "简介",
         "contact_person": "联系人", "contact_phone": "联系方式"}
_ENGINE_RUN = (
    "import sys, time\n"
    "from rapidocr_onnxruntime import RapidOCR\n"
    "start = time.perf_counter()\n"
    "RapidOCR()(sys.argv[1])\n"
    "print(time.perf_counter() - start)\n"
)
_PEAK = (
    "import json, resource, sys, time\n"
    "from datetime import date\n"
    "import parsers.ocr\n"
    "from parsers import parse\n"
    "parsers.ocr.CONFIDENCE_THRESHOLD = 0.0  # every value read; the bench applies thresholds itself\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "start = time.perf_counter()\n"
    "result = parse(data, sys.argv[1], date(2026, 6, 1))\n"
    "took = time.perf_counter() - start\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "peak, cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime\n"
    "form = result.forms[0].__dict__ if result.forms else None\n"
    "print(json.dumps({'seconds': took, 'cpu': cpu, 'child_peak_mb': peak, 'form': form}, default=str,"
    " ensure_ascii=False))\n"
)


def the_set(soffice: str, work: Path) -> list[tuple[str, str, bytes]]:
    """(label, file name, bytes) of every picture or scanned PDF in the set."""
    libreoffice = soffice_convert(soffice, seed_form_docx(), ".docx", "pdf", work / "profile")
    drawn = reportlab_form_pdf()
    cases: list[tuple[str, str, bytes]] = []
    for producer, pdf in (("LibreOffice", libreoffice), ("reportlab", drawn)):
        for dpi in (150, 200, 300):
            cases.append((f"{producer} scan {dpi} dpi", "scan.png", render_png(pdf, dpi)))
        cases.append((f"{producer} scanned PDF 150 dpi", "scan.pdf", image_only_pdf(render_png(pdf, 150), 150)))
        for angle, seed in ((3.0, 7), (-4.0, 11), (1.5, 5)):
            photo = phone_photo(render_png(pdf, 200), angle=angle, seed=seed)
            cases.append((f"{producer} photo {angle:+.1f}°", "photo.jpg", photo))
    return cases


def expected() -> dict[str, str]:
    typed = parse(seed_form_docx(), "情况表.docx", REF).forms[0]
    return {name: _flat(getattr(typed, name)) for name in FIELDS}


def _flat(value: object) -> str:
    text = "\n".join(value) if isinstance(value, tuple) else str(value)
    return re.sub(r"\s+", "", text)


def confidences(form: dict[str, object]) -> dict[str, float]:
    """The per-field confidence the form's second warning gives (识别可信度：党组织名称 98%、…)."""
    note = str(form["warnings"][1])  # type: ignore[index]
    pairs = (item.rsplit(" ", 1) for item in note.split("：", 1)[1].split("、") if "%" in item)
    return {name: int(pct.rstrip("%")) / 100 for name, pct in pairs}


def score(form: dict[str, object], want: dict[str, str], threshold: float) -> dict[str, str]:
    """exact / flagged / wrong for each field of a form read with no threshold, as the threshold would leave it: a
    field under it is withheld (flagged), one left empty with a warning naming it is flagged too."""
    out: dict[str, str] = {}
    shown = confidences(form)
    warnings = [str(w) for w in form["warnings"]][2:]  # type: ignore[attr-defined]
    for name in FIELDS:
        value = form[name]
        got = _flat(tuple(value) if isinstance(value, list) else value)
        if shown.get(NAMES[name], 1.0) < threshold or (not got and any(NAMES[name] in w for w in warnings)):
            out[name] = "flagged"
        elif got == want[name]:
            out[name] = "exact"
        else:
            out[name] = "wrong"
            print(f"    wrong {NAMES[name]}: {got!r}", file=sys.stderr)
    return out


def run_child(code: str, path: Path) -> str:
    repo = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-c", code, str(path)], cwd=repo, capture_output=True, text=True,
                          check=True, timeout=300).stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--soffice", default="soffice")
    parser.parse_args()
    args = parser.parse_args()
    want = expected()
    tallies: dict[float, Counter[str]] = {t: Counter() for t in THRESHOLDS}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "profile").mkdir()
        cases = the_set(args.soffice, work)
        print(f"{'case':34} {'ours s':>7} {'cpu s':>6} {'engine s':>8} {'ratio':>6} {'child MB':>8}  fields")
        for label, name, data in cases:
            path = work / name
            path.write_bytes(data)
            engine_path = path if name != "scan.pdf" else work / "page.png"
            if name == "scan.pdf":
                engine_path.write_bytes(render_png(data, 200))
            engine = float(run_child(_ENGINE_RUN, engine_path))
            ours = json.loads(run_child(_PEAK, path))
            form = ours["form"]
            for threshold, tally in tallies.items():
                marks = score(form, want, threshold) if form else dict.fromkeys(FIELDS, "wrong")
                tally.update(marks.values())
            marks = score(form, want, CONFIDENCE_THRESHOLD) if form else dict.fromkeys(FIELDS, "wrong")
            conf = confidences(form) if form else {}
            shown = " ".join(f"{NAMES[f]}:{m[0]}{int(100 * conf.get(NAMES[f], 0))}" for f, m in marks.items())
            print(f"{label:34} {ours['seconds']:7.2f} {ours['cpu']:6.2f} {engine:8.2f} {ours['seconds'] / engine:6.2f} "
                  f"{ours['child_peak_mb']:8.0f}  {shown}")
        photo = work / "activity.jpg"
        photo.write_bytes(activity_photo())
        activity = parse(photo.read_bytes(), "activity.jpg", REF)
        kind = activity.failure.kind.value if activity.failure else "a form!"
        print(f"activity photo: {kind} ({activity.failure.detail if activity.failure else ''})")
    for threshold, tally in tallies.items():
        mark = "  <- CONFIDENCE_THRESHOLD" if threshold == CONFIDENCE_THRESHOLD else ""
        print(f"threshold {threshold:.2f}: {tally['exact']} exact, {tally['flagged']} flagged, {tally['wrong']} wrong"
              f" of {sum(tally.values())} fields{mark}")


if __name__ == "__main__":
    main()
