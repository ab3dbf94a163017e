"""Every real office file in the public corpus parses without raising, to forms or a failure of a known kind."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from parsers import FailureKind, parse
from tests.fixtures.services import require_binary

pytestmark = pytest.mark.slow  # every corpus file, LibreOffice included: part of CI, not of the quick set

PARSER_KINDS = {
    FailureKind.CORRUPT,
    FailureKind.ENCRYPTED,
    FailureKind.TOO_LARGE,
    FailureKind.EMPTY_FORM,
    FailureKind.NOT_A_FORM,
    FailureKind.UNSUPPORTED_FORMAT,
    FailureKind.CONVERTER_MISSING,
}


def test_every_corpus_office_file_gives_forms_or_a_known_failure(corpus_dir: Path) -> None:
    require_binary("soffice", "libreoffice-writer-nogui libreoffice-calc-nogui")
    files = sorted((corpus_dir / "office").iterdir())
    assert len(files) > 50
    outcomes: dict[str, str] = {}
    for path in files:
        result = parse(path.read_bytes(), path.name, date(2026, 6, 1))
        assert result.detected_format, path.name
        if result.failure is None:
            assert result.forms, path.name
            outcomes[path.name] = "forms"
        else:
            assert result.failure.kind in PARSER_KINDS, (path.name, result.failure)
            assert result.failure.message
            outcomes[path.name] = result.failure.kind.value
        if "passtika" in path.name:
            assert outcomes[path.name] == "encrypted", path.name
    assert outcomes["tika_testWORD_truncated.docx"] == "corrupt"
    assert "converter_missing" not in outcomes.values()

