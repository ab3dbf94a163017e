"""The `intake` command: wires the library functions together and reports; no logic of its own."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from core.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from store.session import SessionFactory

log = logging.getLogger(__name__)

EXIT_NOT_BUILT = 3


def not_built(piece: str) -> NoReturn:
    """Say plainly that a piece is missing and exit non-zero: never a fake success."""
    click.echo(f"intake: {piece} is not built yet; this command does nothing until it is.", err=True)
    sys.exit(EXIT_NOT_BUILT)


def fail(line: str, code: int) -> NoReturn:
    """One clear line on stderr and a non-zero exit, no traceback."""
    click.echo(f"intake: {line}", err=True)
    sys.exit(code)


def format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in counts.items())


def session_factory_of(ctx: click.Context) -> SessionFactory:
    """The store for this run's settings, schema brought to head; an unreachable database is one line, exit 1."""
    from store.db import open_store
    from store.errors import StoreError

    obj = ctx.ensure_object(dict)
    if "session_factory" not in obj:
        settings = settings_of(ctx)
        try:
            obj["session_factory"] = open_store(settings.effective_database_url)
        except StoreError as exc:
            fail_store(exc, settings)
    factory: SessionFactory = obj["session_factory"]
    return factory


def fail_store(exc: Exception, settings: Settings) -> NoReturn:
    """A store that cannot open: a URL or folder that cannot work is a bad setting (exit 2), else exit 1."""
    from store.errors import StoreMisconfigured

    if isinstance(exc, StoreMisconfigured):
        variable = "INTAKE_DATABASE_URL" if settings.database_url else "INTAKE_DATA_DIR"
        fail(f"{variable}: {exc}", 2)
    fail(str(exc), 1)


def mailbox_settings_of(ctx: click.Context) -> Settings:
    """The settings, which must name the mailbox (host, user, 授权码): else one line and exit 2."""
    from core.settings import require

    settings = settings_of(ctx)
    try:
        require(settings, "imap_host", "imap_user", "imap_password")
    except SettingsError as exc:
        fail(str(exc), 2)
    return settings


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.ensure_object(dict)
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj.get("config_path"))
        except SettingsError as exc:
            click.echo(f"intake: {exc}", err=True)
            sys.exit(2)
    settings: Settings = obj["settings"]
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML settings file (default: ./intake.toml if present). INTAKE_* variables override it.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug lines to stderr.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """szlgb-intake: read the 主题党日活动情况表 mailbox, keep every report, mail a daily digest."""
    ctx.ensure_object(dict)["config_path"] = config_path
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per file.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def parse(files: tuple[Path, ...], as_json: bool) -> None:
    """Parse attachment files and print the forms found (or why none was)."""
    import contextlib
    import json

    from parsers import parse as parse_file

    soffice = "soffice"
    with contextlib.suppress(SettingsError):  # the configured LibreOffice path; parsing needs no other setting
        soffice = load_settings(click.get_current_context().ensure_object(dict).get("config_path")).soffice
    all_ok = True
    for path in files:
        result = parse_file(path.read_bytes(), path.name, soffice=soffice)
        all_ok = all_ok and result.ok
        forms = [
            {
                "org_name": f.org_name,
                "headcount": f.headcount,
                "headcount_text": f.headcount_text,
                "agenda": list(f.agenda),
                "summary": f.summary,
                "contact_person": f.contact_person,
                "contact_phone": f.contact_phone,
                "activity_date": f.activity_date.isoformat() if f.activity_date else None,
                "warnings": list(f.warnings),
            }
            for f in result.forms
        ]
        failure = {"kind": result.failure.kind.value, "message": result.failure.message} if result.failure else None
        if as_json:
            click.echo(json.dumps({"file": str(path), "forms": forms, "failure": failure}, ensure_ascii=False))
            continue
        click.echo(f"== {path}  [{result.detected_format}]")
        if failure is not None:
            click.echo(f"   失败 {failure['kind']}: {failure['message']}")
        for number, form in enumerate(result.forms, 1):
            click.echo(f"   情况表 {number}")
            for label, value in (
                ("党组织名称", form.org_name),
                ("人数", form.headcount_text),
                ("活动日期", form.activity_date.isoformat() if form.activity_date else ""),
                ("联系人", form.contact_person),
                ("联系方式", form.contact_phone),
            ):
                click.echo(f"     {label:<6}\t{value}")
            for item in form.agenda:
                click.echo(f"     议程  \t{item}")
            click.echo(f"     简介  \t{form.summary}")
            for warning in form.warnings:
                click.echo(f"     注意  \t{warning}")
    sys.exit(0 if all_ok else 1)


@main.command()
@click.pass_context
def poll(ctx: click.Context) -> None:
    """Run one poll cycle over every configured IMAP folder and print the counts."""
    from ingest.poll import PollError, poll_once

    settings = mailbox_settings_of(ctx)
    try:
        summary = poll_once(settings, session_factory_of(ctx))
    except PollError as exc:
        fail(f"poll failed: {exc}", 1)
    if summary.skipped_locked:
        click.echo("skipped: another process is polling this mailbox right now")
        return
    for folder, counts in summary.folders.items():
        click.echo(f"{folder}: {format_counts(counts.as_dict())}")
    click.echo(f"total: {format_counts(summary.counts.as_dict())}")
    if summary.errors:
        for line in summary.errors:
            click.echo(f"intake: poll incomplete: {line}", err=True)
        sys.exit(1)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def import_(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Import .eml files, folders of them, Maildirs or mbox files through the same pipeline."""
    from ingest.poll import import_paths

    summary = import_paths(settings_of(ctx), session_factory_of(ctx), paths)
    click.echo(format_counts(summary.counts.as_dict()))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--since", default=None, help="Only reports received on or after this date (YYYY-MM-DD).")
@click.option("--all-versions", is_flag=True, help="List every version, not only the current one.")
@click.pass_context
def reports(ctx: click.Context, as_json: bool, since: str | None, all_versions: bool) -> None:
    """List the current reports."""
    import json
    from datetime import date

    from service.present import report_json, report_line
    from store.queries import current_reports

    settings = settings_of(ctx)
    try:
        since_day = date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since expects a date like 2026-05-01, got {since!r}", 2)
    with session_factory_of(ctx)() as session:
        rows = current_reports(session, since=since_day, all_versions=all_versions, tz=settings.tz)
    if as_json:
        click.echo(json.dumps([report_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(report_line(row, settings.tz))
    click.echo(f"共 {len(rows)} {'个版本' if all_versions else '份报告'}")


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and ignored failures.")
@click.pass_context
def failures(ctx: click.Context, as_json: bool, show_all: bool) -> None:
    """List failures (open ones by default); see also `failures show|resolve|ignore`."""
    if ctx.invoked_subcommand is None:
        import json

        from service.present import failure_json, failure_line
        from store.failures import list_failures

        settings = settings_of(ctx)
        with session_factory_of(ctx)() as session:
            rows = list_failures(session, include_closed=show_all)
        if as_json:
            click.echo(json.dumps([failure_json(r, settings.tz) for r in rows], ensure_ascii=False, indent=2))
            return
        for row in rows:
            click.echo(failure_line(row, settings.tz))
        click.echo(f"共 {len(rows)} 条{'' if show_all else '待处理的'}失败记录")


@failures.command("show")
@click.argument("failure_id", type=int)
@click.pass_context
def failures_show(ctx: click.Context, failure_id: int) -> None:
    """Show one failure with its message, attachment and technical detail."""
    from service.present import failure_details
    from store.failures import get_failure

    settings = settings_of(ctx)
    with session_factory_of(ctx)() as session:
        row = get_failure(session, failure_id)
    if row is None:
        fail(f"no failure with id {failure_id} (see `intake failures --all`)", 1)
    for line in failure_details(row, settings.tz):
        click.echo(line)


def close_failure(ctx: click.Context, failure_id: int, note: str, status: str) -> None:
    """Resolve or ignore one failure with a note, and say so; an unknown id is one line, exit 1."""
    from store.errors import NotFound
    from store.failures import ignore_failure, resolve_failure

    close, label = (resolve_failure, "已解决") if status == "resolved" else (ignore_failure, "已忽略")
    try:
        with session_factory_of(ctx).begin() as session:
            close(session, failure_id, note, by="cli")
    except NotFound:
        fail(f"no failure with id {failure_id} (see `intake failures --all`)", 1)
    click.echo(f"失败记录 {failure_id} 已标记为{label}")


@failures.command("resolve")
@click.argument("failure_id", type=int)
@click.option("--note", required=True, help="What was done, e.g. 已电话联系，已重发.")
@click.pass_context
def failures_resolve(ctx: click.Context, failure_id: int, note: str) -> None:
    """Mark a failure resolved, with a note."""
    close_failure(ctx, failure_id, note, "resolved")


@failures.command("ignore")
@click.argument("failure_id", type=int)
@click.option("--note", required=True, help="Why it needs nothing, e.g. 非本次活动邮件.")
@click.pass_context
def failures_ignore(ctx: click.Context, failure_id: int, note: str) -> None:
    """Mark a failure ignored, with a note."""
    close_failure(ctx, failure_id, note, "ignored")


@main.command()
@click.argument("failure_ids", nargs=-1, type=int)
@click.option("--all-failures", is_flag=True, help="Reparse the attachments of every open failure.")
@click.pass_context
def reparse(ctx: click.Context, failure_ids: tuple[int, ...], all_failures: bool) -> None:
    """Parse stored attachments again (after a parser fix or once LibreOffice is installed)."""
    from ingest.reparse import reparse as reparse_failures

    if not failure_ids and not all_failures:
        fail("name failure IDs or pass --all-failures", 2)
    from ingest.poll import context_for
    from store.errors import NotFound

    settings = settings_of(ctx)
    try:
        summary = reparse_failures(
            session_factory_of(ctx), list(failure_ids) or None, context_for(settings, settings.imap_user or "local")
        )
    except NotFound as exc:
        fail(str(exc), 1)
    for failure_id, what in summary.details:
        click.echo(f"#{failure_id}: {what}")
    click.echo(
        f"tried {summary.tried}, fixed {summary.fixed}, still failing {summary.still_failing}; "
        f"new reports {summary.new_reports}, new versions {summary.new_versions}, duplicates {summary.duplicates}"
    )


@main.command()
@click.option("--date", "day", default=None, help="The day to report (YYYY-MM-DD); default yesterday.")
@click.option("--send", "mode", flag_value="send", help="Send over SMTP.")
@click.option("--dry-run", "mode", flag_value="dry-run", help="Write .eml and .html to --out instead.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Default var/outbox/.")
@click.option("--force", is_flag=True, help="Send again even if that day's digest was already sent.")
@click.pass_context
def digest(ctx: click.Context, day: str | None, mode: str | None, out: Path | None, force: bool) -> None:
    """Build the daily digest for a day and send it (or write it to the outbox)."""
    from datetime import datetime, timedelta

    from digest.compose import ComposeError
    from digest.run import describe, parse_day, run_digest
    from mailout.send import DigestSendError

    settings = settings_of(ctx)
    now = datetime.now(settings.tz)
    try:
        target = parse_day(day, "--date") if day else now.date() - timedelta(days=1)
    except ValueError as exc:
        click.echo(f"intake: {exc}", err=True)
        sys.exit(2)
    if mode == "send" and not settings.smtp_host:
        click.echo("intake: --send needs INTAKE_SMTP_HOST (and INTAKE_SMTP_USER/PASSWORD); or use --dry-run", err=True)
        sys.exit(2)
    if mode != "dry-run" and settings.smtp_host:
        for variable, value in (("INTAKE_DIGEST_TO", settings.digest_to), ("INTAKE_DIGEST_FROM", settings.digest_from)):
            if not value:
                fail(f"{variable} is not set: sending the digest needs it (or use --dry-run)", 2)
    try:
        outcome = run_digest(settings, session_factory_of(ctx), target, mode=mode, out=out, force=force,
                             now=now)
    except (DigestSendError, ComposeError, OSError) as exc:
        click.echo(f"intake: digest for {target.isoformat()} not done: {exc}", err=True)
        sys.exit(1)
    click.echo(describe(outcome))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", default=None, help="Only reports received on or after this date (YYYY-MM-DD).")
@click.pass_context
def export(ctx: click.Context, file: Path, since: str | None) -> None:
    """Write the 汇总表 of current reports to an .xlsx file."""
    from digest.run import export_summary, parse_day

    settings = settings_of(ctx)
    try:
        since_day = parse_day(since, "--since") if since else None
    except ValueError as exc:
        click.echo(f"intake: {exc}", err=True)
        sys.exit(2)
    try:
        count = export_summary(settings, session_factory_of(ctx), file, since_day)
    except OSError as exc:
        click.echo(f"intake: cannot write {file}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    click.echo(f"汇总表 written to {file}: {count} reports")


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the service: poll every INTAKE_POLL_MINUTES, send the digest daily at INTAKE_DIGEST_TIME."""
    import scheduler
    from core.logs import setup_logging

    settings = mailbox_settings_of(ctx)
    from store.errors import StoreError

    session_factory_of(ctx)  # a database that cannot open is one line here, before the service's logging starts
    setup_logging(settings, logging.DEBUG if ctx.obj.get("verbose") else logging.INFO)
    try:
        code = scheduler.run_service(settings)
    except StoreError as exc:
        fail_store(exc, settings)
    sys.exit(code)


@main.command()
@click.option("--keep", is_flag=True, help="Keep the previous demo database instead of starting fresh.")
@click.pass_context
def demo(ctx: click.Context, keep: bool) -> None:
    """Run the pipeline on the bundled samples/ into var/demo/ and print what it found."""
    import dataclasses
    import shutil

    from digest.run import run_digest
    from ingest.poll import import_paths
    from store import failures as store_failures
    from store import queries
    from store.db import open_store
    from store.errors import StoreError

    samples = Path(__file__).resolve().parent / "samples" / "mail"
    if not samples.is_dir():
        fail(f"{samples} is missing: the demo needs the bundled sample mailbox", 1)
    base = settings_of(ctx)
    demo_dir = base.data_dir / "demo"
    try:
        if demo_dir.exists() and not keep:
            shutil.rmtree(demo_dir)
        demo_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"INTAKE_DATA_DIR: cannot prepare {demo_dir} for the demo: {exc.strerror or exc}", 2)
    settings = dataclasses.replace(
        base, data_dir=demo_dir, database_url=f"sqlite:///{(demo_dir / 'intake.sqlite3').as_posix()}",
        smtp_host="", digest_to=base.digest_to or ("szlgbjdjc@163.com",),
        digest_from=base.digest_from or "intake@localhost",
    )
    try:
        factory = open_store(settings.effective_database_url)
    except StoreError as exc:
        fail_store(exc, base)
    paths = sorted(samples.glob("*.eml"))
    summary = import_paths(settings, factory, paths)
    click.echo(f"导入示例邮件 {len(paths)} 封：{format_counts(summary.counts.as_dict())}")
    with factory() as session:
        rows = queries.current_reports(session)
        open_failures = store_failures.list_failures(session)
    click.echo(f"\n情况表 {len(rows)} 份：")
    for r in rows:
        when = r.activity_date.isoformat() if r.activity_date else "日期未知"
        late = "（逾期）" if r.late else ""
        click.echo(
            f"  #{r.id} v{r.version} {r.org_name}｜{r.headcount if r.headcount is not None else '人数不明'}人"
            f"｜{when}{late}｜{r.contact_person} {r.contact_phone}｜附件 {r.attachment}"
        )
    click.echo(f"\n待处理 {len(open_failures)} 项：")
    for f in open_failures:
        click.echo(f"  #{f.id} [{f.kind}] {f.sender}｜{f.subject}｜{f.filename or '（无附件）'}：{f.message}")
    days = sorted({r.received_at.astimezone(settings.tz).date() for r in rows})
    if days:
        outcome = run_digest(settings, factory, days[-1], mode="dry-run", out=base.data_dir / "outbox", force=True)
        click.echo(f"\n{days[-1].isoformat()} 的日报已写入：" + "、".join(str(p) for p in outcome.paths))


@main.command()
@click.pass_context
def config(ctx: click.Context) -> None:
    """Print the effective settings, secrets masked."""
    settings = settings_of(ctx)
    for name, value in settings.masked().items():
        click.echo(f"INTAKE_{name.upper()} = {value}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@click.option("--no-mailbox", is_flag=True, help="Do not log in to the mailbox to check it.")
def status(ctx: click.Context, as_json: bool, no_mailbox: bool) -> None:
    """Show last polls, next runs, open failures, the last digest, and whether DB and mailbox answer."""
    import json
    from datetime import UTC, datetime

    from service.status import as_json as status_json
    from service.status import as_lines, gather

    settings = settings_of(ctx)
    found = gather(settings, datetime.now(UTC), check_mailbox=not no_mailbox)
    if as_json:
        click.echo(json.dumps(status_json(found, settings), ensure_ascii=False, indent=2))
    else:
        for line in as_lines(found, settings):
            click.echo(line)
    if not found.database_ok or found.mailbox_ok is False:
        sys.exit(1)


if __name__ == "__main__":
    main()
