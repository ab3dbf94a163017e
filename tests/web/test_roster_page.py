"""The 报送情况 page (/roster) and confirming a name (POST /roster/alias) through the test client, on SQLite and
PostgreSQL: the season's matrix by 所属单位 with late reports and totals, a month's 尚未报送 with contacts, the
names still to confirm with their candidates, confirming one (reports re-linked, the audit log), what goes wrong
(a name the roster lacks: 400, nothing written), CSRF, sessions, escaping, and no roster at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from core.settings import Settings
from store import audit
from store.coverage import unmatched
from store.dedup import record_attachment, record_form
from store.messages import record_message
from store.records import RosterEntryIn
from store.roster import list_entries, upsert_roster
from store.session import SessionFactory
from tests.store.helpers import attachment_in, docx_bytes, form, message_in
from tests.web.helpers import Clock, Site, csrf_of

SH = ZoneInfo("Asia/Shanghai")
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CAIZHENG = "苏州市财政局离退休干部党支部"
SHUILI = "苏州市水利局离退休干部党支部"
GUSU = "姑苏区老干部局机关离退休党支部"
XIANGCHENG = "相城区元和街道离退休干部党支部"
SHUILI_AS_WRITTEN = "水利局老干部党支部"  # no entry has this name: it resembles 水利局's
ODD_NAME = "<img src=x onerror=alert(2)>"  # a report's organisation as a branch typed it
ROSTER = (
    RosterEntryIn(name=CAIZHENG, group="市级机关", contact_person="钱卫东", contact_phone="13906121847"),
    RosterEntryIn(name=SHUILI, group="市级机关", contact_person="周", contact_phone="0512-65280000"),
    RosterEntryIn(name=GUSU, group="姑苏区"),
    RosterEntryIn(name=SCRIPT, group="<b>片区</b>", contact_person="<i>某</i>"),
    RosterEntryIn(name=XIANGCHENG),
)
JULY_20 = datetime(2020, 7, 20, 10, 0, tzinfo=SH)  # in the season (April to November)


def at(month: int, day: int) -> datetime:
    return datetime(2020, month, day, 10, 0, tzinfo=SH)


def submit(s: Session, org: str, activity: date | None, received: datetime, summary: str = "") -> None:
    f = form(org=org, activity=activity, agenda=(f"学习{received.isoformat()}",),
             summary=summary or f"{org}{received.isoformat()}")  # another activity, not a correction
    m = record_message(s, message_in("情况表", received_at=received))
    a = record_attachment(s, m.message_pk, attachment_in(docx_bytes(f)))
    record_form(s, m.message_pk, a.attachment_pk, f, False)


def season(s: Session) -> None:
    """财政局: May, and a June activity reported 18 days later (逾期); 姑苏区: July; 水利局's two July reports
    under a spelling the roster lacks; the <script> entry's own; two names like no entry (one of them markup)."""
    submit(s, CAIZHENG, date(2020, 5, 12), at(5, 15))
    submit(s, CAIZHENG, date(2020, 6, 2), at(6, 20))
    submit(s, GUSU, date(2020, 7, 3), at(7, 5))
    submit(s, SHUILI_AS_WRITTEN, date(2020, 7, 1), at(7, 2))
    submit(s, SHUILI_AS_WRITTEN, date(2020, 7, 8), at(7, 9))
    submit(s, ODD_NAME, date(2020, 7, 10), at(7, 11))
    submit(s, SCRIPT, None, at(4, 30))  # no activity date: counts for April, when it came
    submit(s, "某某协会", date(2020, 6, 5), at(6, 6))  # resembles no entry


@pytest.fixture
def bare(db_url: str, session_factory: SessionFactory, tmp_path: Path) -> Iterator[Site]:
    """A console on the parametrized database (SQLite, PostgreSQL), its clock on 2020-07-20."""
    settings = Settings(data_dir=tmp_path / "var", database_url=db_url, timezone="Asia/Shanghai")
    yield Site(settings, session_factory, Clock(JULY_20.astimezone(UTC)))


@pytest.fixture
def site(bare: Site) -> Site:
    """The console with a roster of five and a season of reports."""
    with bare.store.begin() as s:
        upsert_roster(s, ROSTER)
        season(s)
    return bare


class Cells(HTMLParser):
    """The rows of the first table with a class: each row's class and the text of its cells."""

    def __init__(self, table_class: str) -> None:
        super().__init__()
        self.table_class, self.depth = table_class, 0
        self.rows: list[tuple[str, list[str]]] = []
        self.cell: list[str] | None = None
        self.row: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and (self.depth or self.table_class in (found.get("class") or "").split()):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.row = (found.get("class") or "", [])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
            if not self.depth:
                self.table_class = "\0"  # the first such table only
        elif self.depth and tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row[1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def matrix(html: str) -> dict[str, tuple[str, list[str]]]:
    """The matrix's rows by their first cell: (the row's class, the other cells)."""
    parser = Cells("matrix")
    parser.feed(html)
    return {cells[0]: (css, cells[1:]) for css, cells in parser.rows}


def section(html: str, heading: str) -> str:
    """The page from a heading to the next <h2>."""
    start = html.index(heading)
    end = html.find("<h2", start + 1)
    return html[start:end if end >= 0 else len(html)]


def test_the_matrix_counts_each_entry_per_month_by_group_with_late_reports_and_totals(site: Site) -> None:
    html = site.signed_in().get("/roster").text
    rows = matrix(html)
    assert rows["党组织"][1] == ["4月", "5月", "6月", "7月", "合计"]  # the season up to this month
    assert rows[CAIZHENG] == ("", ["0", "1", "1 逾1", "0", "2"])
    assert rows[GUSU] == ("", ["0", "0", "0", "1", "1"])
    assert rows[SHUILI] == ("none", ["0", "0", "0", "0", "0"])  # its reports' name is not yet confirmed: shaded
    assert rows[XIANGCHENG][0] == "none"
    assert rows[SCRIPT] == ("", ["1", "0", "0", "0", "1"])  # no activity date: the month it came
    assert rows["市级机关 2 个，本季尚无 1 个"] == ("group", ["0", "1", "1", "0", "2 逾1"])
    assert rows["（未分组） 1 个，本季尚无 1 个"] == ("group", ["0", "0", "0", "0", "0"])
    names = [name for name in rows if name != "党组织"]
    assert names.index("姑苏区 1 个，本季尚无 0 个") < names.index(GUSU) < names.index(XIANGCHENG)


def test_the_year_is_this_seasons_or_the_last_and_a_past_year_shows_its_whole_season(site: Site) -> None:
    client = site.signed_in()
    past = client.get("/roster?year=2019").text
    assert len(matrix(past)["党组织"][1]) == 9  # April to November, and 合计
    assert matrix(past)[CAIZHENG] == ("none", ["0"] * 9)
    assert 'href="/roster?year=2020"' in past and 'href="/roster?year=2018"' in past
    this = client.get("/roster?year=2999").text  # not a year yet: the newest reports' year
    assert "2020年，名册 5 个党组织" in this and 'href="/roster?year=2021"' not in this
    assert client.get("/roster?year=abc").status_code == 200
    site.clock.at = datetime(2021, 2, 1, 2, 0, tzinfo=UTC)  # before the 2021 season: the newest reports' year
    assert "2020年，名册 5 个党组织" in site.signed_in("winter").get("/roster").text
    site.clock.at = datetime(2021, 4, 2, 2, 0, tzinfo=UTC)  # the 2021 season has begun: this year
    april = site.signed_in("spring").get("/roster").text
    assert "2021年，名册 5 个党组织" in april and matrix(april)["党组织"][1] == ["4月", "合计"]


def test_the_months_missing_list_names_each_entry_without_a_report_with_its_contacts(site: Site) -> None:
    client = site.signed_in()
    july = section(client.get("/roster").text, "2020年7月尚未报送")
    assert "4 个党组织" in july and GUSU not in july
    assert CAIZHENG in july and "钱卫东" in july and "13906121847" in july
    assert july.index("市级机关") < july.index(CAIZHENG) < july.index("（未分组）") < july.index(XIANGCHENG)
    may = section(client.get("/roster?month=2020-05").text, "2020年5月尚未报送")
    assert CAIZHENG not in may and SHUILI in may and "0512-65280000" in may
    assert 'class="on">5月' in client.get("/roster?month=2020-05").text
    assert "2020年7月尚未报送" in client.get("/roster?month=2020-12").text  # not shown: this month instead


def test_the_names_to_confirm_offer_the_entries_they_resemble(site: Site) -> None:
    html = section(site.signed_in().get("/roster").text, "名称待确认")
    assert "3 个写法" in html
    assert f'name="org_name" value="{SHUILI_AS_WRITTEN}"' in html
    assert f'name="entry_name" value="{SHUILI}"' in html and f"确认为「{SHUILI}」" in html
    assert html.index(SHUILI_AS_WRITTEN) < html.index("&lt;img")  # most reports first


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_confirming_a_name_relinks_its_reports_and_writes_the_audit_log(site: Site, role: str) -> None:
    client = site.signed_in("zhang", role)
    response = client.post("/roster/alias", data={"org_name": SHUILI_AS_WRITTEN, "entry_name": SHUILI,
                                                  "csrf_token": csrf_of(client, "/roster")})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/roster?done=alias&entry=")
    html = client.get(response.headers["location"]).text
    assert f"已确认：这个写法的情况表已对应到「{SHUILI}」，该党组织现有 2 份情况表。" in html
    assert matrix(html)[SHUILI] == ("", ["0", "0", "0", "2", "2"])
    assert "2 个写法" in section(html, "名称待确认")
    assert f'name="org_name" value="{SHUILI_AS_WRITTEN}"' not in html
    assert SHUILI not in section(html, "2020年7月尚未报送")
    assert f"{SHUILI_AS_WRITTEN} → {SHUILI}" in section(html, "最近确认的名称")
    with site.store() as s:
        [entry] = audit.recent(s, "roster")
        assert (entry.actor, entry.action, entry.note) == ("zhang", "roster_alias", f"{SHUILI_AS_WRITTEN} → {SHUILI}")
        assert [e.aliases for e in list_entries(s) if e.name == SHUILI] == [(SHUILI_AS_WRITTEN,)]
    again = client.post("/roster/alias", data={"org_name": SHUILI_AS_WRITTEN, "entry_name": SHUILI,
                                               "csrf_token": csrf_of(client, "/roster")})
    assert "这个写法已经对应" in client.get(again.headers["location"]).text


@pytest.mark.parametrize(("org_name", "entry_name", "why"), [
    (SHUILI_AS_WRITTEN, "苏州市不存在的党支部", "名册中没有「苏州市不存在的党支部」"),
    (CAIZHENG, SHUILI, f"「{CAIZHENG}」是名册中另一个党组织「{CAIZHENG}」的名称"),
    (SHUILI_AS_WRITTEN, "", "请选择"),
])
def test_a_name_that_cannot_be_confirmed_is_a_400_in_chinese_and_nothing_is_written(
        site: Site, org_name: str, entry_name: str, why: str) -> None:
    client = site.signed_in()
    with site.store() as s:
        before = unmatched(s)
    response = client.post("/roster/alias", data={"org_name": org_name, "entry_name": entry_name,
                                                  "csrf_token": csrf_of(client, "/roster")})
    assert response.status_code == 400
    assert why in response.text and "没有记下任何内容" in response.text
    with site.store() as s:
        assert unmatched(s) == before and audit.recent(s, "roster") == []
        assert all(e.aliases == () for e in list_entries(s))


def test_confirming_needs_the_sessions_csrf_token_and_a_session(site: Site) -> None:
    client = site.signed_in()
    fields = {"org_name": SHUILI_AS_WRITTEN, "entry_name": SHUILI}
    assert client.post("/roster/alias", data=fields).status_code == 403
    assert client.post("/roster/alias", data={**fields, "csrf_token": "forged"}).status_code == 403
    anonymous = site.client()
    refused = anonymous.post("/roster/alias", data={**fields, "csrf_token": csrf_of(client, "/roster")})
    assert (refused.status_code, refused.headers["location"]) == (303, "/login")
    page = anonymous.get("/roster?year=2020")
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=%2Froster%3Fyear%3D2020")
    with site.store() as s:
        assert audit.recent(s, "roster") == [] and len(unmatched(s)) == 3


def test_every_name_from_the_roster_and_the_reports_is_shown_as_text(site: Site) -> None:
    client = site.signed_in()
    html = client.get("/roster?month=2020-05").text
    assert SCRIPT not in html and "<img" not in html and "<b>片区" not in html and "<i>某" not in html
    assert html.count(ESCAPED) >= 2  # in the matrix and in May's 尚未报送
    assert "&lt;b&gt;片区&lt;/b&gt;" in html and "&lt;i&gt;某&lt;/i&gt;" in html
    assert 'value="&lt;img src=x onerror=alert(2)&gt;"' in html  # the hidden field that confirms it
    assert "/reports?q=%3Cimg%20src%3Dx%20onerror%3Dalert%282%29%3E" in html


def test_without_a_roster_the_page_says_so_and_the_nav_has_no_link(bare: Site) -> None:
    with bare.store.begin() as s:
        season(s)
    client = bare.signed_in()
    response = client.get("/roster")
    assert response.status_code == 404 and "尚未导入名册" in response.text
    assert 'href="/roster"' not in client.get("/").text and "报送情况" not in client.get("/reports").text
    refused = client.post("/roster/alias", data={"org_name": SHUILI_AS_WRITTEN, "entry_name": SHUILI,
                                                 "csrf_token": csrf_of(client)})
    assert refused.status_code == 400
    with bare.store.begin() as s:
        upsert_roster(s, ROSTER)
    assert 'href="/roster"' in client.get("/reports").text


def test_the_overview_counts_this_months_missing_and_links_to_the_page(site: Site) -> None:
    client = site.signed_in()
    assert '<a href="/roster">2020年7月：名册 5 个党组织中 4 个尚未报送</a>' in client.get("/").text
    site.clock.at = datetime(2020, 12, 3, 2, 0, tzinfo=UTC)
    assert "名册 5 个党组织；2020年12月不在报送季节内" in site.signed_in("later").get("/").text
