"""Run one PDF or image reading job in a child process, so a hostile file can use up neither our memory nor our time.

The parent (run_job) starts `python -m parsers.worker TASK OPTIONS`, writes the file to its standard input and
reads one JSON object from its standard output. The child caps its own address space (RLIMIT_AS) before it reads
anything; the parent kills its process group at the parse deadline. A job that runs out of memory answers
too_large (or is killed or aborts, which the parent reports as too_large too); a file the library cannot open, or
any other error in it, answers corrupt or encrypted. PDF reading (pdfplumber) and OCR (rapidocr) are C and
pure-Python libraries that never look at our deadline: only a process of their own can be stopped in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from typing import Any

from parsers.limits import Deadline, JobFailed, LimitExceeded

PDF_MEMORY_CAP = 768 * 1024 * 1024
"""Address space of a PDF job: the interpreter, pdfminer and a few pages' objects need under 200 MB."""

OCR_MEMORY_CAP = 3 * 1024 * 1024 * 1024
"""Address space of an OCR job: onnxruntime maps its models and arena well beyond what it keeps resident (the
bench measures the resident peak against the 600 MB goal)."""


def run_job(task: str, data: bytes, options: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
    """The job's JSON answer; raises JobFailed for a failure it reported, LimitExceeded when it ran out of time or
    memory (or died)."""
    remaining = deadline.remaining()
    if remaining <= 0:
        raise LimitExceeded("no time left to read the file")
    env = dict(os.environ, OMP_NUM_THREADS="2", PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "parsers.worker", task, json.dumps(options)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=env,
    )
    try:
        out, err = process.communicate(data, timeout=remaining)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise LimitExceeded(f"reading the {task} took longer than {remaining:.0f} s") from None
    if process.returncode != 0 or not out.strip():
        tail = err[-300:].decode("utf-8", "replace").strip()
        if process.returncode in (-signal.SIGKILL, -signal.SIGABRT):  # how C++ code dies when its memory cap is hit
            raise LimitExceeded(f"the {task} reader was stopped, most likely at its memory cap: {tail}")
        raise JobFailed("corrupt", f"the {task} reader stopped (exit {process.returncode}): {tail}")
    answer: dict[str, Any] = json.loads(out)
    if "error" in answer:
        raise JobFailed(str(answer["error"]), str(answer.get("detail", "")))
    return answer


def _cap_memory(limit: int) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    """The child's side: cap memory, read the file from stdin, do the task, print one JSON object."""
    task = argv[1]
    options = json.loads(argv[2]) if len(argv) > 2 else {}
    _cap_memory(OCR_MEMORY_CAP if task == "ocr" else PDF_MEMORY_CAP)
    data = sys.stdin.buffer.read()
    try:
        answer = _run(task, data, options)
    except MemoryError:
        answer = {"error": "too_large", "detail": f"the {task} needs more memory than its cap"}
    except JobFailed as exc:
        answer = {"error": exc.kind, "detail": exc.detail}
    except Exception as exc:  # a library's own error on a file it cannot read: the file is the cause
        answer = {"error": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    sys.stdout.flush()
    return 0


def _run(task: str, data: bytes, options: dict[str, Any]) -> dict[str, Any]:
    if task == "pdf":
        from parsers.pdfjob import read_pdf_pages

        return read_pdf_pages(data, options)
    if task == "ocr":
        from parsers.ocrjob import recognise

        return recognise(data, options)
    raise JobFailed("corrupt", f"unknown task {task!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
