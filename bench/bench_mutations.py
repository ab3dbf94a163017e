"""The long fault-injection run: many seeded mutants of every corpus and sample mail, over a real Dovecot, into a
store, with every check of tests/fault (nothing lost, nothing collapsed, a second poll adds nothing, the commands
exit 0); plus the cost of decoding a hostile Subject against a plain one of the same size.

(a) mutation run: `--mails M` mutants (default 2000) with seed `--seed N` at issue 10's full sizes (1-10 MB
    Subjects, up to 12,000 parts, 1 GB zip bombs), on SQLite (or `--database-url`); prints the seed, the counts
    per outcome and failure kind, the time, and every finding. Exit status 1 when something new was found
    (findings of the known defects, tests/fault/campaign.py's KNOWN_DEFECTS, are listed apart).
(b) header decode: mime.extract of a mail whose Subject is `--subject-mb` MB of RFC 2047 encoded-words, against
    the floor of the same mail with a plain Subject of that size. Goal: within 10x the floor (linear decoding).

Run: .venv/bin/python bench/bench_mutations.py [--seed 1] [--mails 2000] [--originals] [--subject-mb 10]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere: the repo's packages

from ingest import mime
from store.db import forget_store, open_store
from tests.builders import DOCX, branch_mail, form_docx
from tests.fault.campaign import Summary, run_campaign, triage
from tests.fault.mutate import Mutant, Scale, load_originals, plan
from tests.fixtures.dovecot import start_dovecot


def bench_campaign(seed: int, count: int, with_originals: bool, database_url: str | None) -> Summary:
    print(f"(a) mutation run: seed {seed}, {count} mutants at full scale ...", flush=True)
    originals = load_originals()
    mutants = plan(seed, originals, count, Scale.full())
    if with_originals:
        mutants = [Mutant(raw, name, (), None) for name, raw in originals] + mutants
    summary = Summary(seed=seed, label="bench")
    server = start_dovecot()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite:///{Path(tmp) / 'mutations.sqlite3'}"
            factory = open_store(url)
            try:
                run_campaign(server.add_user(), factory, url, mutants, Path(tmp), summary)
            finally:
                forget_store(url)
    finally:
        server.stop()
    triage(summary)
    for line in summary.lines():
        print("    " + line)
    return summary


def bench_subject(megabytes: int) -> None:
    print(f"(b) header decode: a {megabytes} MB Subject of encoded-words against a plain one ...", flush=True)
    base = branch_mail(attachments=[("情况表.docx", form_docx(), DOCX)])
    size = megabytes << 20
    plain = base.replace(b"Subject: ", b"Subject: " + b"A" * size + b" ", 1)
    words = base.replace(b"Subject: ", b"Subject: " + b"=?utf-8?B?5oOF5Ya16KGo?= " * (size // 25), 1)
    timings = []
    for raw in (plain, words):
        start = time.perf_counter()
        mime.extract(raw)
        timings.append(time.perf_counter() - start)
    floor, ours = timings
    print(f"    plain Subject (floor): {floor:.2f} s")
    print(f"    encoded-words Subject: {ours:.2f} s")
    print(f"    ratio: {ours / floor:.1f}x the floor (goal: within 10x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="the mutator's seed (the same seed, the same mails)")
    parser.add_argument("--mails", type=int, default=2000, help="mutants to append and poll")
    parser.add_argument("--originals", action="store_true", help="append the unmutated mails too")
    parser.add_argument("--database-url", default=None, help="a store to use instead of a fresh SQLite file")
    parser.add_argument("--subject-mb", type=int, default=10, help="(b)'s Subject size; 0 skips (b)")
    args = parser.parse_args()
    summary = bench_campaign(args.seed, args.mails, args.originals, args.database_url)
    if args.subject_mb:
        bench_subject(args.subject_mb)
    sys.exit(1 if summary.unknown else 0)


if __name__ == "__main__":
    main()
