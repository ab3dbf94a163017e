"""Settings: one object read from INTAKE_* environment variables over an optional TOML file."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "INTAKE_"
DEFAULT_CONFIG_FILE = "intake.toml"
SECRET_FIELDS = frozenset({"imap_password", "smtp_password"})


class SettingsError(ValueError):
    """A missing or invalid setting; the message names the variable and fits on one line."""


@dataclass(frozen=True)
class Settings:
    """The effective settings of one run. Secrets are kept here and nowhere else."""

    data_dir: Path = Path("var")
    database_url: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_ssl: bool = True
    imap_ca_file: str = ""
    imap_folders: tuple[str, ...] = ("INBOX",)
    imap_timeout: float = 60.0
    imap_batch: int = 50
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: str = "ssl"
    smtp_timeout: float = 60.0
    digest_to: tuple[str, ...] = ()
    digest_from: str = ""
    digest_time: time = time(8, 0)
    poll_minutes: float = 10.0  # fractions allowed (tests poll every few seconds)
    timezone: str = "Asia/Shanghai"
    log_format: str = "plain"
    soffice: str = "soffice"
    imap_idle: bool = True  # keep one connection idling on INBOX where the server offers IDLE (RFC 2177)
    receipts: str = "off"  # 回执 to branches: off | failures | all
    receipt_daily_limit: int = 5  # per sender address and local day
    receipt_max_age_hours: float = 72.0  # older mail (a first backfill) gets none
    office_phone: str = "65158951"  # signed under every receipt, as in the notice
    season: str = "04-11"  # the months branches report in, MM-MM (the notice's April to November)
    web_host: str = "127.0.0.1"  # where the console listens (behind the intranet proxy)
    web_port: int = 0  # the console inside `intake run`; 0 = off
    web_session_hours: float = 8.0  # a console login lasts this long
    web_url: str = ""  # where staff open the console; the digest links to it when set

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def season_months(self) -> tuple[int, int]:
        """The first and last month of the reporting season, e.g. (4, 11)."""
        first, _, last = self.season.partition("-")
        return int(first), int(last)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'intake.sqlite3').as_posix()}"

    def masked(self) -> dict[str, str]:
        """Every setting as text for display; secrets shown only as set or not set."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                out[f.name] = "****（已设置）" if value else "（未设置）"
            elif f.name == "database_url":
                out[f.name] = mask_url_password(self.effective_database_url)
            elif isinstance(value, tuple):
                out[f.name] = ",".join(value)
            elif isinstance(value, float):
                out[f.name] = f"{value:g}"
            elif isinstance(value, time):
                out[f.name] = value.strftime("%H:%M")
            else:
                out[f.name] = str(value)
        return out


def mask_url_password(url: str) -> str:
    """Hide the password in a URL such as postgresql+psycopg://user:pw@host/db."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:****@{host}"
    return url


def _env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _parse_bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{_env_name(name)}: expected true or false, got {raw!r}")


def _parse_int(name: str, raw: Any, minimum: int = 0) -> int:
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{_env_name(name)}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{_env_name(name)}: must be at least {minimum}, got {value}")
    return value


# Upper bounds: a timeout of more than an hour or a poll interval of more than a day is a typo, and a huge
# value overflows the scheduler's timedelta.
FLOAT_MAXIMUM = {"imap_timeout": 3600.0, "smtp_timeout": 3600.0, "poll_minutes": 1440.0,
                 "receipt_max_age_hours": 24.0 * 366, "web_session_hours": 24.0 * 31}


def _parse_float(name: str, raw: Any) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{_env_name(name)}: expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{_env_name(name)}: expected a number, got {raw!r}")
    if value <= 0:
        raise SettingsError(f"{_env_name(name)}: must be positive, got {value:g}")
    maximum = FLOAT_MAXIMUM.get(name)
    if maximum is not None and value > maximum:
        raise SettingsError(f"{_env_name(name)}: must be at most {maximum:g}, got {value:g}")
    return value


def _check_address(name: str, value: str) -> None:
    _display, address = parseaddr(value)
    local, at, domain = address.partition("@")
    if not (local and at and domain) or " " in address:
        raise SettingsError(f"{_env_name(name)}: not an e-mail address: {value!r}")


def _parse_list(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return tuple(str(i).strip() for i in items if str(i).strip())


def _parse_time(name: str, raw: Any) -> time:
    if isinstance(raw, time):
        return raw
    text = str(raw).strip()
    try:
        hour, minute = text.split(":")
        return time(int(hour), int(minute))
    except ValueError:
        raise SettingsError(f"{_env_name(name)}: expected HH:MM such as 08:00, got {raw!r}") from None


def _parse_season(name: str, raw: Any) -> str:
    """MM-MM, first month not after the last (a season does not cross the new year): 04-11, 4-11."""
    first, sep, last = str(raw).strip().partition("-")
    try:
        months = (int(first), int(last)) if sep else ()
    except ValueError:
        months = ()
    if len(months) != 2 or not all(1 <= m <= 12 for m in months) or months[0] > months[1]:
        raise SettingsError(f"{_env_name(name)}: expected MM-MM with the first month not after the last, "
                            f"such as 04-11, got {raw!r}")
    return f"{months[0]:02d}-{months[1]:02d}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"--config {path}: cannot read the file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"--config {path}: not valid TOML ({exc})") from None
    # Accept both flat keys (imap_host = ...) and an [intake] table.
    table = data.get("intake", data)
    if not isinstance(table, dict):
        raise SettingsError(f"--config {path}: expected a table of settings")
    return {str(k).lower(): v for k, v in table.items()}


def load_settings(config_path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings: defaults, then the TOML file, then INTAKE_* variables (the environment wins)."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    path = config_path
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"])
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = Path(DEFAULT_CONFIG_FILE)
    if path is not None:
        raw.update(_read_file(path))
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"--config {path}: unknown setting {unknown[0]!r}")
    for name in known:
        key = _env_name(name)
        if key in env:
            raw[name] = env[key]
    return _build(raw)


def _parse_port(name: str, raw: Any) -> int:
    port = _parse_int(name, raw, minimum=1)
    if port > 65535:
        raise SettingsError(f"{_env_name(name)}: not a TCP port: {raw!r}")
    return port


def _parse_web_port(name: str, raw: Any) -> int:
    """A TCP port, or 0 for no console inside `intake run`."""
    port = _parse_int(name, raw, minimum=0)
    if port > 65535:
        raise SettingsError(f"{_env_name(name)}: not a TCP port: {raw!r}")
    return port


def _parse_web_url(name: str, raw: Any) -> str:
    """The console's address as staff open it: http(s)://host[:port][/path], kept without a trailing slash."""
    text = str(raw).strip().rstrip("/")
    if not text:
        return ""
    scheme, sep, rest = text.partition("://")
    if scheme.lower() not in ("http", "https") or not sep or not rest or any(c in text for c in " \"<>\r\n\t"):
        raise SettingsError(f"{_env_name(name)}: expected an address such as https://intake.example.gov.cn, "
                            f"got {raw!r}")
    return text


def _parse_text(_name: str, raw: Any) -> str:
    return str(raw).strip()


def _parse_dir(_name: str, raw: Any) -> Path:
    return Path(str(raw).strip() or ".")


def _parse_choice(*choices: str) -> Callable[[str, Any], str]:
    def parse(name: str, raw: Any) -> str:
        value = str(raw).strip().lower()
        if value not in choices:
            raise SettingsError(f"{_env_name(name)}: expected {' or '.join(choices)}, got {value!r}")
        return value
    return parse


# How each setting is read from its text (a TOML value or an INTAKE_* variable); any other is stripped text.
PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "imap_port": _parse_port,
    "smtp_port": _parse_port,
    "imap_batch": lambda name, raw: _parse_int(name, raw, minimum=1),
    "imap_timeout": _parse_float,
    "smtp_timeout": _parse_float,
    "poll_minutes": _parse_float,
    "imap_ssl": _parse_bool,
    "imap_idle": _parse_bool,
    "receipts": _parse_choice("off", "failures", "all"),
    "receipt_daily_limit": lambda name, raw: _parse_int(name, raw, minimum=0),
    "receipt_max_age_hours": _parse_float,
    "imap_folders": lambda _name, raw: _parse_list(raw),
    "digest_to": lambda _name, raw: _parse_list(raw),
    "digest_time": _parse_time,
    "data_dir": _parse_dir,
    "smtp_security": _parse_choice("ssl", "starttls", "none"),
    "log_format": _parse_choice("plain", "json"),
    "season": _parse_season,
    "web_port": _parse_web_port,
    "web_session_hours": _parse_float,
    "web_url": _parse_web_url,
}


def _build(raw: dict[str, Any]) -> Settings:
    values = {name: PARSERS.get(name, _parse_text)(name, value) for name, value in raw.items()}
    _check(values)
    _fill_defaults(values)
    settings = Settings(**values)
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{_env_name('timezone')}: unknown time zone {settings.timezone!r}") from None
    return settings


def _check(values: dict[str, Any]) -> None:
    """Values that parse but cannot work: addresses that are not addresses, a CA file that is not there."""
    for address in values.get("digest_to", ()):
        _check_address("digest_to", address)
    if values.get("digest_from"):
        _check_address("digest_from", values["digest_from"])
    ca_file = values.get("imap_ca_file", "")
    if ca_file and not Path(ca_file).is_file():
        raise SettingsError(f"{_env_name('imap_ca_file')}: no such file: {ca_file!r}")
    if not values.get("imap_folders", ("INBOX",)):
        raise SettingsError(f"{_env_name('imap_folders')}: name at least one folder, e.g. INBOX")


def _fill_defaults(values: dict[str, Any]) -> None:
    """Defaults that follow other settings: 993 means TLS, ssl=false alone means 143; the SMTP port by security."""
    if "imap_ssl" not in values and "imap_port" in values:
        values["imap_ssl"] = values["imap_port"] == 993
    if values.get("imap_ssl") is False and "imap_port" not in values:
        values["imap_port"] = 143
    security = values.setdefault("smtp_security", "ssl")
    if "smtp_port" not in values:
        values["smtp_port"] = {"ssl": 465, "starttls": 587, "none": 25}[security]


def require(settings: Settings, *names: str) -> None:
    """Fail with one line naming the first of these settings that is empty."""
    for name in names:
        if not getattr(settings, name):
            raise SettingsError(f"{_env_name(name)} is not set (environment variable or {DEFAULT_CONFIG_FILE})")
