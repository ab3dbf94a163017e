"""The `intake` command: parse options, call the library, hand the result to service.present; one error path.

Every error is one line on stderr, `intake: <what went wrong>`, with exit code 2 for a usage or settings error
and 1 for a failure at run time (IntakeError). Usage errors that click finds (a bad option, a missing argument, a
path that does not exist) take the same one-line form. Heavy libraries are imported inside the commands that use
them, so that a read command starts quickly.
"""

from __future__ import annotations

import logging
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from core.settings import Settings, SettingsError, load_settings
from service import present

if TYPE_CHECKING:
    from store.session import SessionFactory

EXIT_RUNTIME = 1
EXIT_USAGE = 2
HELP_TEXT = "显示本帮助并退出。"


class IntakeError(click.ClickException):
    """The one error path: `intake: <line>` on stderr and the exit code (2 usage or settings, 1 at run time)."""

    def __init__(self, line: str, code: int = EXIT_RUNTIME) -> None:
        super().__init__(line)
        self.exit_code = code  # type: ignore[misc]  # a ClassVar in click's stubs; click reads it off the instance

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"intake: {self.format_message()}", err=True, file=file)


def usage_line(exc: click.UsageError) -> str:
    """A usage error click raised, as one line: what is wrong and where the command's help is."""
    if isinstance(exc, click.NoSuchOption):
        line = f"没有选项 {exc.option_name}"
        if exc.possibilities:
            line += f"（是否想用 {'、'.join(sorted(exc.possibilities))}？）"
    elif isinstance(exc, click.MissingParameter) and exc.param is not None:
        line = f"缺少 {exc.param.get_error_hint(exc.ctx) if exc.ctx else exc.param.name}"
    elif isinstance(exc, click.BadParameter):
        hint = exc.param_hint or (exc.param.get_error_hint(exc.ctx) if exc.param and exc.ctx else "")
        line = f"{hint} 的值无效：{exc.message}" if hint else exc.message
    else:
        line = exc.format_message()
    line = " ".join(line.split())
    if exc.ctx is not None:
        line += f"（用法见 {exc.ctx.command_path} --help）"
    return line


def _with_chinese_help(option: click.Option | None) -> click.Option | None:
    if option is not None:
        option.help = HELP_TEXT
    return option


class IntakeCommand(click.Command):
    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _with_chinese_help(super().get_help_option(ctx))


class IntakeGroup(click.Group):
    """The command group: subcommands of its own kind, and errors printed as one line (see IntakeError)."""

    command_class = IntakeCommand
    group_class = type  # subgroups are IntakeGroups too

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _with_chinese_help(super().get_help_option(ctx))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """click's main, except that every ClickException (usage errors too) is one `intake: …` line."""
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.UsageError as exc:
            click.echo(f"intake: {usage_line(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"intake: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("intake: 已中止", err=True)
            sys.exit(EXIT_RUNTIME)
        sys.exit(code if isinstance(code, int) else 0)


class Day(click.ParamType):
    """A YYYY-MM-DD option value as a date."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"应为 YYYY-MM-DD 格式的日期，例如 2026-05-14，收到 {value!r}", param, ctx)


DAY = Day()


class Month(click.ParamType):
    """A YYYY-MM option value as (year, month)."""

    name = "month"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int]:
        if isinstance(value, tuple):
            return value
        year, sep, month = str(value).strip().partition("-")
        if sep and len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12:
            return int(year), int(month)
        self.fail(f"应为 YYYY-MM 格式的月份，例如 2026-05，收到 {value!r}", param, ctx)


MONTH = Month()


# ---- settings and store, once per run ---------------------------------------------------------------------------
def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj.get("config_path"))
        except SettingsError as exc:
            raise IntakeError(str(exc), EXIT_USAGE) from None
    settings: Settings = obj["settings"]
    return settings


def required(ctx: click.Context, *names: str, why: str = "") -> Settings:
    """The settings, which must have these set (e.g. the mailbox's host, user and 授权码): else exit 2."""
    from core.settings import require

    settings = settings_of(ctx)
    try:
        require(settings, *names)
    except SettingsError as exc:
        raise IntakeError(f"{exc}{why}", EXIT_USAGE) from None
    return settings


def store_error(exc: Exception, settings: Settings) -> IntakeError:
    """A store that cannot open: a URL or folder that cannot work is a bad setting (exit 2), else exit 1."""
    from store.errors import StoreMisconfigured

    if isinstance(exc, StoreMisconfigured):
        variable = "INTAKE_DATABASE_URL" if settings.database_url else "INTAKE_DATA_DIR"
        return IntakeError(f"{variable}: {exc}", EXIT_USAGE)
    return IntakeError(str(exc), EXIT_RUNTIME)


def store_of(ctx: click.Context) -> SessionFactory:
    """The store for this run's settings, schema at head; one that cannot open is one line (see store_error)."""
    from store.db import open_store
    from store.errors import StoreError

    obj = ctx.ensure_object(dict)
    if "store" not in obj:
        settings = settings_of(ctx)
        try:
            obj["store"] = open_store(settings.effective_database_url)
        except StoreError as exc:
            raise store_error(exc, settings) from None
    factory: SessionFactory = obj["store"]
    return factory


def say(lines: list[str] | str) -> None:
    """Print lines (or one text) to stdout in one write."""
    click.echo(lines if isinstance(lines, str) else present.joined(lines))


def cli_actor() -> str:
    """Who made a change from the command line, for the audit log: cli (the system user)."""
    import getpass

    try:
        return f"cli ({getpass.getuser()})"
    except (KeyError, OSError):
        return "cli"


def program_name() -> str:
    """How the user started this program, for commands printed to type next: `intake` when that is on PATH,
    else the path typed (e.g. .venv/bin/intake)."""
    typed = sys.argv[0]
    if Path(typed).name != "intake":
        return "intake"
    on_path = shutil.which("intake")
    if on_path and Path(on_path).resolve() == Path(typed).resolve():
        return "intake"
    return typed


# ---- the commands -----------------------------------------------------------------------------------------------
@click.group(name="intake", cls=IntakeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML 设置文件（默认当前目录的 intake.toml）；INTAKE_* 环境变量优先。")
@click.option("-v", "--verbose", is_flag=True, help="把调试日志写到 stderr。")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """szlgb-intake：收取主题党日活动情况表邮箱，保存每一份情况表，每天发日报。"""
    ctx.ensure_object(dict)["config_path"] = config_path
    ctx.obj["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="每个文件一行 JSON。")
@click.option("--received", type=DAY, default=None,
              help="邮件收到的日期 YYYY-MM-DD：没写年份的活动日期按这一年读（默认今天，并给出提醒）。")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def parse(ctx: click.Context, files: tuple[Path, ...], as_json: bool, received: date | None) -> None:
    """只解析附件文件（.docx、.xlsx 等）并打印读出的情况表；整封邮件请用 intake import。"""
    import json

    from service.attachments import MailNotAttachment, parse_files

    try:  # the configured LibreOffice path; parsing needs no other setting
        soffice = load_settings(ctx.ensure_object(dict).get("config_path")).soffice
    except SettingsError:
        soffice = Settings().soffice
    try:
        parsed = parse_files(files, soffice=soffice, received=received)
    except MailNotAttachment as exc:
        raise IntakeError(f"{exc.path} 是一封邮件，不是附件：请用 intake import {exc.path} 导入", EXIT_USAGE) from None
    except OSError as exc:
        raise IntakeError(f"无法读取 {exc.filename}：{exc.strerror or exc}") from None
    if as_json:
        say([json.dumps(present.parse_json(p.path, p.result), ensure_ascii=False) for p in parsed])
    else:
        say([line for p in parsed for line in present.parse_lines(p.path, p.result)])
    if not all(p.result.ok for p in parsed):
        ctx.exit(EXIT_RUNTIME)


@main.command()
@click.pass_context
def poll(ctx: click.Context) -> None:
    """收取一次邮箱（每个文件夹），打印新情况表、更正、重复、待处理、已忽略的数量。"""
    from ingest.poll import PollError, poll_once

    settings = required(ctx, "imap_host", "imap_user", "imap_password")
    try:
        summary = poll_once(settings, store_of(ctx))
    except PollError as exc:
        raise IntakeError(f"收信失败（poll failed）：{exc}") from None
    say(present.poll_lines(summary))
    send_receipts(ctx)
    if summary.errors:
        raise IntakeError("收信未完成（poll incomplete）：" + "；".join(summary.errors))


def send_receipts(ctx: click.Context) -> None:
    """Send the 回执 this run queued (and any left from before), then say what went; INTAKE_RECEIPTS=off: none."""
    settings = settings_of(ctx)
    if settings.receipts == "off":
        return
    from receipts.send import send_due

    say(present.receipts_sent_lines(send_due(settings, store_of(ctx))))


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """导入 .eml 文件、含 .eml 的文件夹、Maildir 或 mbox，流程与收信相同。"""
    from ingest.poll import import_paths

    summary = import_paths(settings_of(ctx), store_of(ctx), paths)
    if summary.counts.messages == 0:
        raise IntakeError("这些路径里没有可导入的邮件（需要 .eml 文件、含 .eml 的文件夹、Maildir 或 mbox）；"
                          "附件文件（.docx、.xlsx 等）请用 intake parse 查看")
    say(present.counts_text(summary.counts.as_dict()))
    send_receipts(ctx)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.option("--since", type=DAY, default=None, help="只列出这一天（YYYY-MM-DD）及以后排队的回执。")
@click.option("--send", "send_now", is_flag=True, help="先发送排队中和发送失败的回执，再列出。")
@click.pass_context
def receipts(ctx: click.Context, as_json: bool, since: date | None, send_now: bool) -> None:
    """列出发给报送单位的回执（排队、已发送、发送失败、不发送及原因）。"""
    import json

    from store.queries import day_bounds
    from store.receipts import list_receipts

    settings = settings_of(ctx)
    if send_now:
        from receipts.send import send_due

        say(present.receipts_sent_lines(send_due(settings, store_of(ctx))))
    start = day_bounds(since, settings.tz)[0] if since else None
    with store_of(ctx)() as session:
        rows = list_receipts(session, since=start)
    if as_json:
        say(json.dumps([present.receipt_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
    else:
        say(present.receipt_lines(rows, settings.tz))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组（全部情况表，不受 --limit 限制）。")
@click.option("--since", type=DAY, default=None, help="只列出这一天（YYYY-MM-DD）及以后收到的情况表。")
@click.option("--all-versions", is_flag=True, help="列出每个版本（含被更正的旧版本），而不只是当前版本。")
@click.option("--limit", type=click.IntRange(min=0), default=present.DEFAULT_LIMIT, metavar="N",
              help=f"最多列出最近收到的多少份（默认 {present.DEFAULT_LIMIT}）；0 表示全部。")
@click.pass_context
def reports(ctx: click.Context, as_json: bool, since: date | None, all_versions: bool, limit: int) -> None:
    """列出当前的情况表（每个党组织的最新版本）。"""
    import json

    from store.queries import count_reports, current_reports

    settings = settings_of(ctx)
    newest = 0 if as_json else limit  # the listing reads only what it shows; JSON is everything
    with store_of(ctx)() as session:
        rows = current_reports(session, since=since, all_versions=all_versions, tz=settings.tz, newest=newest)
        total = count_reports(session, since=since, all_versions=all_versions, tz=settings.tz) if newest else None
    if as_json:
        say(json.dumps([present.report_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
    else:
        say(present.report_lines(rows, settings.tz, all_versions=all_versions, limit=limit, total=total))


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.option("--all", "show_all", is_flag=True, help="也列出已解决和已忽略的事项。")
@click.pass_context
def failures(ctx: click.Context, as_json: bool, show_all: bool) -> None:
    """列出待处理事项；failures show / resolve / ignore 查看和处理一项。"""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from store.failures import list_failures

    settings = settings_of(ctx)
    with store_of(ctx)() as session:
        rows = list_failures(session, include_closed=show_all)
    if as_json:
        say(json.dumps([present.failure_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
    else:
        say(present.failure_lines(rows, settings.tz, show_all=show_all))


@failures.command("show")
@click.argument("failure_id", type=int)
@click.pass_context
def failures_show(ctx: click.Context, failure_id: int) -> None:
    """查看一项待处理事项：邮件、附件、原因和技术细节。"""
    from store.failures import get_failure

    settings = settings_of(ctx)
    with store_of(ctx)() as session:
        row = get_failure(session, failure_id)
    if row is None:
        raise IntakeError(present.no_such_failure(failure_id))
    say(present.failure_details(row, settings.tz))


def close_failure(ctx: click.Context, failure_id: int, note: str, status: str) -> None:
    """Resolve or ignore one failure with a note, and say so; an unknown id is one line, exit 1."""
    from core.vocab import AuditAction, AuditTarget, FailureStatus
    from store import audit
    from store.errors import NotFound
    from store.failures import ignore_failure, resolve_failure

    close = resolve_failure if status == FailureStatus.RESOLVED else ignore_failure
    action = AuditAction.RESOLVE if status == FailureStatus.RESOLVED else AuditAction.IGNORE
    try:
        with store_of(ctx).begin() as session:
            close(session, failure_id, note, by="cli")
            audit.record(session, cli_actor(), action, AuditTarget.FAILURE, failure_id, note)
    except NotFound:
        raise IntakeError(present.no_such_failure(failure_id)) from None
    say(present.closed_line(failure_id, FailureStatus(status)))


@failures.command("resolve")
@click.argument("failure_id", type=int)
@click.option("--note", required=True, metavar="NOTE", help="做了什么，例如“已电话联系，已重发”。")
@click.pass_context
def failures_resolve(ctx: click.Context, failure_id: int, note: str) -> None:
    """把一项待处理事项标记为已解决，并写明备注。"""
    close_failure(ctx, failure_id, note, "resolved")


@failures.command("ignore")
@click.argument("failure_id", type=int)
@click.option("--note", required=True, metavar="NOTE", help="为什么无需处理，例如“非本次活动邮件”。")
@click.pass_context
def failures_ignore(ctx: click.Context, failure_id: int, note: str) -> None:
    """把一项待处理事项标记为已忽略，并写明备注。"""
    close_failure(ctx, failure_id, note, "ignored")


@main.command()
@click.argument("failure_ids", nargs=-1, type=int)
@click.option("--all-failures", is_flag=True, help="重新解析全部待处理事项的附件。")
@click.pass_context
def reparse(ctx: click.Context, failure_ids: tuple[int, ...], all_failures: bool) -> None:
    """用已保存的附件重新解析待处理事项（解析程序升级或装好 LibreOffice 之后）。"""
    if not failure_ids and not all_failures:
        raise click.UsageError("请给出待处理事项的编号，或加 --all-failures", ctx)
    from ingest.poll import context_for
    from ingest.reparse import reparse as reparse_failures
    from store.errors import NotFound

    settings = settings_of(ctx)
    try:
        summary = reparse_failures(store_of(ctx), list(failure_ids) or None,
                                   context_for(settings, settings.imap_user or "local"))
    except NotFound as exc:
        raise IntakeError(str(exc)) from None
    from core.vocab import AuditAction, AuditTarget
    from store import audit

    with store_of(ctx).begin() as session:
        for failure_id, what in summary.details:
            audit.record(session, cli_actor(), AuditAction.REPARSE, AuditTarget.FAILURE, failure_id, what)
    say(present.reparse_lines(summary))


@main.command()
@click.option("--date", "day", type=DAY, default=None, help="日报所报的日期（YYYY-MM-DD），默认昨天。")
@click.option("--send", is_flag=True, help="通过 SMTP 发送（需要设置 INTAKE_SMTP_HOST）。")
@click.option("--dry-run", is_flag=True, help="试运行：只把 .eml 和 .html 写到 --out，不发送，也不算已发。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="写入的文件夹，默认 数据目录/outbox/。")
@click.option("--force", is_flag=True, help="这一天的日报已发过也再发一次。")
@click.pass_context
def digest(ctx: click.Context, day: date | None, send: bool, dry_run: bool, out: Path | None, force: bool) -> None:
    """生成某一天的日报：设置了 SMTP 时发送，否则写入发件箱（数据目录/outbox/）。"""
    from datetime import datetime, timedelta

    if send and dry_run:
        raise click.UsageError("--send 和 --dry-run 只能选一个", ctx)
    settings = settings_of(ctx)
    if send or (not dry_run and settings.smtp_host):  # sending: the one place that checks what SMTP needs
        settings = required(ctx, "smtp_host", "digest_to", "digest_from",
                            why="：发送日报需要它（或用 --dry-run 试运行）")
    from digest.compose import ComposeError
    from digest.run import run_digest
    from mailout.send import DigestSendError

    now = datetime.now(settings.tz)
    target = day or now.date() - timedelta(days=1)
    mode = "send" if send else "dry-run" if dry_run else None
    try:
        outcome = run_digest(settings, store_of(ctx), target, mode=mode, out=out, force=force, now=now)
    except (DigestSendError, ComposeError, OSError) as exc:
        raise IntakeError(f"{target.isoformat()} 的日报没有完成：{exc}") from None
    say(present.digest_lines(outcome))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", type=DAY, default=None, help="只导出这一天（YYYY-MM-DD）及以后收到的情况表。")
@click.pass_context
def export(ctx: click.Context, file: Path, since: date | None) -> None:
    """把当前情况表导出为 Excel 汇总表（文件名须以 .xlsx 结尾）。"""
    if file.suffix.lower() != ".xlsx":
        raise click.BadParameter(f"汇总表只写 Excel 文件，文件名须以 .xlsx 结尾（收到 {file.name}）",
                                 ctx, param_hint="FILE")
    from digest.run import export_summary

    settings = settings_of(ctx)
    try:
        count = export_summary(settings, store_of(ctx), file, since)
    except OSError as exc:
        raise IntakeError(f"无法写入 {file}：{exc.strerror or exc}") from None
    say(present.export_line(file, count))


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def roster(ctx: click.Context, as_json: bool) -> None:
    """名册：列出党组织；roster import / alias / coverage / missing / unmatched 导入名册、确认名称、看报送情况。"""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from service import present_roster
    from store.roster import list_entries

    with store_of(ctx)() as session:
        rows = list_entries(session)
    if as_json:
        say(json.dumps([present_roster.entry_json(r) for r in rows], ensure_ascii=False, indent=2))
    else:
        say(present_roster.entry_lines(rows))


@roster.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="用文件替换整个名册（文件中没有的党组织被移除）；默认按名称新增或更新。")
@click.pass_context
def roster_import(ctx: click.Context, file: Path, replace: bool) -> None:
    """导入名册 .xlsx（列：党组织名称、所属单位、联系人、联系电话、邮箱、别名）；有错误的行全部列出，不导入任何内容。"""
    from roster.importfile import SUFFIXES, RosterFileError
    from roster.load import RosterRejected, import_roster
    from service import present_roster

    if file.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(f"名册须为 Excel .xlsx 文件（.xls 请另存为 .xlsx），收到 {file.name}",
                                 ctx, param_hint="FILE")
    try:
        done = import_roster(store_of(ctx), file, replace=replace)
    except RosterFileError as exc:
        raise IntakeError(str(exc)) from None
    except RosterRejected as exc:
        say(present_roster.rejected_lines(exc))
        raise IntakeError(f"{file} 有 {len(exc.problems)} 处错误（见上），名册未作任何改动") from None
    say(present_roster.import_lines(done))


@roster.command("alias")
@click.argument("written", metavar="写法")
@click.argument("entry_name", metavar="名册名称")
@click.pass_context
def roster_alias(ctx: click.Context, written: str, entry_name: str) -> None:
    """确认情况表上的写法就是名册中的某个党组织：记为别名，并把这个写法的情况表对应过去。"""
    from service import present_roster
    from store.errors import NotFound, RosterConflict
    from store.roster import add_alias

    try:
        with store_of(ctx).begin() as session:
            result = add_alias(session, written, entry_name, by="cli")
    except NotFound as exc:
        raise IntakeError(f"{exc}（intake roster 列出全部党组织）") from None
    except RosterConflict as exc:
        raise IntakeError(str(exc)) from None
    say(present_roster.alias_line(result))


@roster.command("coverage")
@click.option("--year", type=click.IntRange(1990, 2200), default=None, metavar="YYYY",
              help="哪一年（默认最近一份情况表所在的年份）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组，每个党组织一项。")
@click.pass_context
def roster_coverage(ctx: click.Context, year: int | None, as_json: bool) -> None:
    """名册中每个党组织在报送季节（INTAKE_SEASON）每个月的情况表份数和逾期份数。"""
    import json
    from datetime import datetime

    from service import present_roster
    from store.coverage import coverage

    settings = settings_of(ctx)
    with store_of(ctx)() as session:
        table = coverage(session, year, settings.season_months, today=datetime.now(settings.tz).date(),
                         tz=settings.tz)
    if as_json:
        say(json.dumps(present_roster.coverage_json(table), ensure_ascii=False, indent=2))
    else:
        say(present_roster.coverage_lines(table))


@roster.command("missing")
@click.option("--month", type=MONTH, required=True, metavar="YYYY-MM", help="哪个月，例如 2026-05。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def roster_missing(ctx: click.Context, month: tuple[int, int], as_json: bool) -> None:
    """这个月还没有情况表的党组织，按所属单位、名称排列，附联系人和电话。"""
    import json

    from service import present_roster
    from store.coverage import missing, month_text
    from store.roster import has_roster

    settings = settings_of(ctx)
    with store_of(ctx)() as session:
        rows = missing(session, *month, tz=settings.tz)
        loaded = has_roster(session)
    if as_json:
        say(json.dumps(present_roster.missing_json(rows), ensure_ascii=False, indent=2))
        return
    first, last = settings.season_months
    say(present_roster.missing_lines(rows, month_text(*month), has_roster=loaded,
                                     in_season=first <= month[1] <= last))


@roster.command("unmatched")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def roster_unmatched(ctx: click.Context, as_json: bool) -> None:
    """情况表上对不上名册的党组织名称、份数和名册中相近的名称（需工作人员确认，从不自动采用）。"""
    import json

    from service import present_roster
    from store.coverage import unmatched
    from store.roster import has_roster

    with store_of(ctx)() as session:
        rows = unmatched(session)
        loaded = has_roster(session)
    if as_json:
        say(json.dumps(present_roster.unmatched_json(rows), ensure_ascii=False, indent=2))
    else:
        say(present_roster.unmatched_lines(rows, has_roster=loaded))


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """作为服务常驻运行：每 INTAKE_POLL_MINUTES 分钟收信，每天 INTAKE_DIGEST_TIME 发日报。"""
    import scheduler
    from core.logs import setup_logging
    from store.errors import StoreError

    settings = required(ctx, "imap_host", "imap_user", "imap_password")
    store_of(ctx)  # a database that cannot open is one line here, before the service's logging starts
    setup_logging(settings, logging.DEBUG if ctx.obj.get("verbose") else logging.INFO)
    try:
        code = scheduler.run_service(settings)
    except StoreError as exc:
        raise store_error(exc, settings) from None
    except OSError as exc:  # the console's port (INTAKE_WEB_PORT) is taken or not ours to bind
        raise IntakeError(f"服务无法启动：{exc}") from None
    ctx.exit(code)


@main.command()
@click.option("--keep", is_flag=True, help="保留上次演示的数据库，不重新开始。")
@click.pass_context
def demo(ctx: click.Context, keep: bool) -> None:
    """用自带的示例邮件跑一遍完整流程，数据放在 数据目录/demo/，并打印查看这些数据的命令。"""
    from service.demo import DemoUnavailable, run_demo
    from store.errors import StoreError

    base = settings_of(ctx)
    try:
        result = run_demo(base, keep=keep)
    except SettingsError as exc:
        raise IntakeError(str(exc), EXIT_USAGE) from None
    except DemoUnavailable as exc:
        raise IntakeError(str(exc)) from None
    except StoreError as exc:  # the demo's store is always a SQLite file in its folder under INTAKE_DATA_DIR
        raise store_error(exc, Settings(data_dir=base.data_dir)) from None
    say(present.demo_lines(result, program_name()))


@main.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """打印生效的设置（密码已隐藏）。"""
    say(present.config_lines(settings_of(ctx).masked()))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.option("--no-mailbox", is_flag=True, help="不登录邮箱检查。")
@click.pass_context
def status(ctx: click.Context, as_json: bool, no_mailbox: bool) -> None:
    """运行状况：各文件夹最近收信、下次收信和日报、待处理数、最近日报、数据库和邮箱是否正常。"""
    import json
    from datetime import UTC, datetime

    from service.status import gather

    settings = settings_of(ctx)
    found = gather(settings, datetime.now(UTC), check_mailbox=not no_mailbox)
    if as_json:
        say(json.dumps(present.status_json(found, settings.tz), ensure_ascii=False, indent=2))
    else:
        say(present.status_lines(found, settings.tz))
    if not found.database_ok or found.mailbox_ok is False:
        ctx.exit(EXIT_RUNTIME)


# ---- console accounts and the console ---------------------------------------------------------------------------
def read_password(ctx: click.Context, from_stdin: bool) -> str:
    """A new password: the first line of stdin (--password-stdin), else typed twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise IntakeError("标准输入中没有密码（--password-stdin 读第一行）", EXIT_USAGE)
        return line
    if not sys.stdin.isatty():
        raise IntakeError("没有终端可输入密码：请用 --password-stdin 从标准输入读取", EXIT_USAGE)
    password: str = click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次", err=True)
    return password


def account_change(ctx: click.Context, change: Any, *args: Any) -> Any:
    """Run one account change (service.accounts) in a transaction; its errors are one line."""
    from service.accounts import AccountError
    from store.errors import AlreadyExists, NotFound

    try:
        with store_of(ctx).begin() as session:
            return change(session, *args, cli_actor())
    except AccountError as exc:
        raise IntakeError(str(exc), EXIT_USAGE) from None
    except AlreadyExists:
        raise IntakeError(f"账号 {args[0]} 已存在") from None
    except NotFound:
        raise IntakeError(f"没有账号 {args[0]}（intake user list 列出全部）") from None


@main.group(name="user")
def user_group() -> None:
    """网页控制台的账号：add / list / disable / enable / password。"""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["staff", "admin"]), default="staff", show_default=True,
              help="staff 工作人员（查看、处理待处理事项）；admin 管理员（另可管理账号）。")
@click.option("--password-stdin", is_flag=True, help="从标准输入的第一行读取密码（默认在终端提示输入两次）。")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """新建一个网页控制台账号（密码至少 8 个字符，以 argon2 散列保存）。"""
    from service import accounts

    password = read_password(ctx, password_stdin)
    row = account_change(ctx, lambda s, n, a: accounts.add_user(s, n, password, role, a), name)
    say(present.user_added_line(row))


@user_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 数组。")
@click.pass_context
def user_list(ctx: click.Context, as_json: bool) -> None:
    """列出网页控制台的账号。"""
    import json
    from datetime import UTC, datetime

    from store.users import list_users

    settings = settings_of(ctx)
    with store_of(ctx)() as session:
        rows = list_users(session)
    if as_json:
        say(json.dumps([present.user_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
    else:
        say(present.user_lines(rows, settings.tz, datetime.now(UTC)))


@user_group.command("disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """停用一个账号（立即在所有浏览器上退出）。"""
    from service import accounts

    row = account_change(ctx, lambda s, n, a: accounts.set_disabled(s, n, True, a), name)
    say(present.user_changed_line(row, "已停用"))


@user_group.command("enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx: click.Context, name: str) -> None:
    """重新启用一个已停用的账号。"""
    from service import accounts

    row = account_change(ctx, lambda s, n, a: accounts.set_disabled(s, n, False, a), name)
    say(present.user_changed_line(row, "已启用"))


@user_group.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入的第一行读取新密码（默认在终端提示输入两次）。")
@click.pass_context
def user_password(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """给账号设新密码（解除锁定，并在所有浏览器上退出）。"""
    from service import accounts

    password = read_password(ctx, password_stdin)
    row = account_change(ctx, lambda s, n, a: accounts.change_password(s, n, password, a), name)
    say(present.user_changed_line(row, "密码已修改"))


@main.command()
@click.option("--host", default=None, metavar="HOST", help="监听的地址（默认 INTAKE_WEB_HOST，即 127.0.0.1）。")
@click.option("--port", type=click.IntRange(1, 65535), default=None, metavar="PORT",
              help="监听的端口（默认 INTAKE_WEB_PORT，未设置时 8080）。")
@click.pass_context
def web(ctx: click.Context, host: str | None, port: int | None) -> None:
    """启动网页控制台（在前台运行，Ctrl+C 停止）；放在内网的 HTTPS 反向代理之后使用。"""
    from core.logs import setup_logging
    from web.server import serve

    settings = settings_of(ctx)
    factory = store_of(ctx)
    setup_logging(settings, logging.DEBUG if ctx.obj.get("verbose") else logging.INFO)
    where_host, where_port = host or settings.web_host, port or settings.web_port or 8080
    try:
        serve(settings, factory, where_host, where_port)
    except OSError as exc:
        raise IntakeError(f"网页控制台无法在 {where_host}:{where_port} 上启动：{exc.strerror or exc}") from None


if __name__ == "__main__":
    main()
