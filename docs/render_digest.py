"""Regenerate docs/digest-*.png: a realistic sample digest rendered as on a phone, with headless Chromium.

Run from the repository root: `.venv/bin/python docs/render_digest.py` (needs Debian's chromium and, for the
Chinese text, fonts-noto-cjk: `apt-get install -y chromium fonts-noto-cjk`). The test suite never needs this.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from digest.render import render_digest  # noqa: E402
from store.records import (  # noqa: E402
    Correction,
    DigestFacts,
    DuplicateRow,
    FailureRow,
    PollHealth,
    ReportRow,
    SeasonTotals,
)

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2020, 5, 14)
BUILT_AT = datetime(2020, 5, 15, 8, 0, tzinfo=TZ)
PHONE_WIDTH = 420
SHOTS = (("digest-mobile.png", 1600), ("digest-mobile-full.png", 2650), ("digest-mobile-quiet.png", 900))


def at(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=TZ)


def report(n: int, org: str, people: int | None, people_text: str, activity: date, contact: str, phone: str,
           received: datetime, late: bool, sender: str, warnings: tuple[str, ...] = ()) -> ReportRow:
    return ReportRow(id=n, version=1, org_name=org, headcount=people, headcount_text=people_text,
                     agenda=("学习《关于开展“助力火红年代”主题党日活动的通知》", "参观红色教育基地", "交流发言"),
                     summary="支部组织老同志重温入党誓词，交流学习体会。", contact_person=contact,
                     contact_phone=phone, activity_date=activity, received_at=received, late=late, sender=sender,
                     subject=f"{org}主题党日活动情况表", message_id=f"<sample{n}@example.com>",
                     attachment="主题党日活动情况表.docx", warnings=warnings)


def busy_day() -> DigestFacts:
    reports = (
        report(101, "苏州市财政局离退休干部第一党支部", 23, "23", date(2020, 5, 12), "王建国", "13912345678",
               at(5, 14, 9, 32), False, "王建国 <wangjg1952@163.com>"),
        report(102, "吴中区老干部局机关离退休干部党支部", None, "三十余人", date(2020, 4, 28), "陈秀英",
               "051265221234", at(5, 14, 15, 6), True, "陈秀英 <cxy_wz@126.com>", ("人数未写成数字，请核对",)),
        report(103, "苏州大学离休干部党总支第二支部", 41, "41", date(2020, 5, 13), "周志明", "13862011234",
               at(5, 14, 20, 47), False, "苏大离退休工作处 <ltx@suda.edu.cn>"),
    )
    return DigestFacts(
        day=DAY,
        new_reports=reports,
        corrections=(
            Correction(report_id=88, org_name="姑苏区离退休干部第二党支部", version=2, received_at=at(5, 14, 11, 2),
                       changes=(("headcount", "18", "21"), ("contact_phone", "13800001111", "13951112222"))),
        ),
        new_failures=(
            FailureRow(id=31, kind="encrypted", message="", status="open", sender="李梅 <limei_jy@qq.com>",
                       subject="教育局退休第三支部活动情况", filename="情况表（加密）.docx",
                       received_at=at(5, 14, 14, 5)),
            FailureRow(id=32, kind="no_attachment", message="", status="open",
                       sender="相城区老干部局 <xcqlgb@163.com>", subject="关于主题党日活动情况的报告",
                       filename="", received_at=at(5, 14, 16, 40)),
        ),
        duplicates=(
            DuplicateRow(kind="attachment", sender="wangjg1952@163.com", subject="再发一次：情况表",
                         filename="主题党日活动情况表.docx",
                         of_what="与 5月14日 收到的苏州市财政局离退休干部第一党支部情况表相同",
                         received_at=at(5, 14, 10, 1)),
        ),
        ignored=(("auto_reply", 2), ("bounce", 1)),
        messages_received=9,
        season=SeasonTotals(reports=46, participants=1037, per_month=(("2020-04", 11), ("2020-05", 35)), late=4,
                            open_failures=3),
        health=(
            PollHealth(account="szlgbjdjc@163.com", folder="INBOX", last_ok_at=at(5, 15, 7, 58),
                       last_run_at=at(5, 15, 7, 58), last_error="",
                       errors_since=((at(5, 14, 23, 10), "IMAP connection to imap.163.com:993 timed out after 60s"),)),
        ),
    )


def quiet_day() -> DigestFacts:
    facts = busy_day()
    return DigestFacts(day=DAY, new_reports=(), corrections=(), new_failures=(), duplicates=(), ignored=(),
                       messages_received=0, season=SeasonTotals(46, 1037, facts.season.per_month, 4, 0),
                       health=(PollHealth("szlgbjdjc@163.com", "INBOX", at(5, 15, 7, 58), at(5, 15, 7, 58), "", ()),))


def screenshot(chromium: str, html: str, target: Path, workdir: Path, height: int) -> None:
    page = workdir / (target.stem + ".html")
    page.write_text(html, "utf-8")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={workdir / 'profile'}", f"--window-size={PHONE_WIDTH},{height}", "--hide-scrollbars",
         f"--screenshot={target}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    print(f"wrote {target.relative_to(REPO)}")


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed; install it with: apt-get install -y chromium fonts-noto-cjk",
              file=sys.stderr)
        return 1
    docs = REPO / "docs"
    with tempfile.TemporaryDirectory(prefix="digest-shot-") as tmp:
        for name, height in SHOTS:
            facts = quiet_day() if "quiet" in name else busy_day()
            rendered = render_digest(facts, TZ, BUILT_AT, xlsx_rows=facts.season.reports)
            screenshot(chromium, rendered.html, docs / name, Path(tmp), height)
    return 0


if __name__ == "__main__":
    sys.exit(main())
