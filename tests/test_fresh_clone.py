"""README's command 1, run exactly as written in a fresh clone of this repository with nothing beside it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_command_1() -> str:
    """The first shell block under 命令 1 in README.md, as a new user would copy it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**命令 1"):]
    match = re.search(r"```sh\n(.+?)\n```", section, re.S)
    assert match, "README has no ```sh block under 命令 1"
    return match.group(1).strip()


@pytest.mark.slow
def test_readme_command_1_works_in_a_fresh_clone_with_nothing_beside_it(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git, "git is not installed; install it with: apt-get install -y git"
    clone = tmp_path / "empty" / "szlgb-intake"
    clone.parent.mkdir()
    subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, timeout=120)
    assert sorted(p.name for p in clone.parent.iterdir()) == ["szlgb-intake"]
    done = subprocess.run(["bash", "-c", readme_command_1()], cwd=clone, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "情况表" in done.stdout
    assert (clone / "var" / "demo").is_dir()
