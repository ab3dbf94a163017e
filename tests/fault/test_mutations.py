"""The mutation suite (issue 10, "keep it true"): every mail of the public corpus and the samples, as is and mutated
(headers, MIME structure, attachment bytes; see tests/fault/mutate.py), appended to a real Dovecot mailbox and
polled into a real store. Nothing is lost (every mail ends with a recorded outcome), nothing collapses (a duplicate
only of a mail with the same content), the poll always finishes, a second poll adds nothing, and `reports`,
`failures`, `status`, `export`, `failures show` and `digest --dry-run` for every day with mail exit 0.

Seeded and bounded for CI: the big run on SQLite, a smaller sample (another seed) on PostgreSQL. The seed is
INTAKE_FAULT_SEED when set (to explore), else SEED. The longer run is bench/bench_mutations.py.

Findings that match campaign.KNOWN_DEFECTS (what the suite found; tests/fault/test_found.py reproduces each as a
strict xfail) are counted in the summary, not failed on.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from store.session import SessionFactory
from tests.fault.campaign import Summary, run_campaign, triage
from tests.fault.mutate import OPS, REPO, Mutant, load_originals, plan
from tests.fixtures.dovecot import DovecotUser

SEED = int(os.environ.get("INTAKE_FAULT_SEED", "20260510"))
PG_MUTANTS = 40

def originals_as_is() -> list[Mutant]:
    return [Mutant(raw, name, (), None) for name, raw in load_originals()]


PLAN_DIGEST = """
import hashlib, sys
from tests.fault.mutate import plan, load_originals
digest = hashlib.sha256()
for mutant in plan(int(sys.argv[1]), load_originals()[:20], int(sys.argv[2])):
    digest.update(mutant.raw)
print(digest.hexdigest())
"""


@pytest.mark.slow
def test_the_mutator_gives_the_same_mails_for_the_same_seed_in_any_process_and_uses_every_operation() -> None:
    originals = load_originals()[:20]
    count = 2 * len(OPS)
    mutants = plan(SEED, originals, count)
    digest = hashlib.sha256(b"".join(m.raw for m in mutants)).hexdigest()
    other = subprocess.run([sys.executable, "-c", PLAN_DIGEST, str(SEED), str(count)], cwd=REPO, check=True,
                           capture_output=True, text=True, timeout=120)
    assert other.stdout.strip() == digest  # a printed seed reproduces a finding byte for byte, later and elsewhere
    assert {m.ops[0] for m in mutants} == set(OPS)
    assert plan(SEED + 1, originals, 5) != mutants[:5]
    unchanged = [m for m in mutants if m.raw in {raw for _name, raw in originals} and m.ops[0] != "resend"]
    assert unchanged == [], [m.ops for m in unchanged]


def _run(user: DovecotUser, factory: SessionFactory, url: str, mutants: list[Mutant], tmp_path: Path,
         seed: int, label: str, print_summary: Callable[[Summary], None]) -> tuple[Summary, list[str]]:
    summary = run_campaign(user, factory, url, mutants, tmp_path, Summary(seed=seed, label=label))
    unknown = triage(summary)
    print_summary(summary)
    return summary, unknown


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_corpus_mail_as_is_and_mutated_twice_is_recorded_and_nothing_collapses(
    dovecot_user: DovecotUser, session_factory: SessionFactory, db_url: str, tmp_path: Path,
    print_summary: Callable[[Summary], None],
) -> None:
    originals = load_originals()
    mutants = originals_as_is() + plan(SEED, originals, 2 * len(originals))
    summary, unknown = _run(dovecot_user, session_factory, db_url, mutants, tmp_path, SEED, "sqlite",
                            print_summary)
    report = "\n".join(summary.lines())
    assert summary.appended + summary.refused == len(mutants), report
    assert summary.appended >= len(mutants) - 5, report  # the server refuses only the odd empty mail
    assert sum(summary.outcomes.values()) == summary.appended, report
    assert unknown == [], report


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_seeded_sample_of_mutated_mails_is_recorded_on_postgresql_too(
    dovecot_user: DovecotUser, session_factory: SessionFactory, db_url: str, tmp_path: Path,
    print_summary: Callable[[Summary], None],
) -> None:
    mutants = plan(SEED + 1, load_originals(), PG_MUTANTS)
    summary, unknown = _run(dovecot_user, session_factory, db_url, mutants, tmp_path, SEED + 1, "postgresql",
                            print_summary)
    report = "\n".join(summary.lines())
    assert summary.appended + summary.refused == len(mutants), report
    assert unknown == [], report
