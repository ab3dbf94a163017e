"""Console accounts: argon2 password hashes, who may sign in (5 wrong passwords lock an account for 15 minutes),
and the account changes the CLI and the console make, each written to the audit log."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.vocab import AuditAction, AuditTarget, Role
from store import audit, users
from store.records import UserRow
from store.session import Session

log = logging.getLogger(__name__)

LOCK_AFTER = 5  # wrong passwords in a row
LOCK_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte "password" is only a way to burn CPU
MAX_NAME = 64


class AccountError(ValueError):
    """An account change that cannot be made as asked; the message is one Chinese line for staff."""


_hasher = PasswordHasher()  # argon2id with the library's recommended parameters (RFC 9106 low-memory profile)


def hasher() -> PasswordHasher:
    return _hasher


def use_hasher(chosen: PasswordHasher) -> PasswordHasher:
    """Hash with other argon2 parameters from now on (tests choose cheap ones); return the one used before.
    Hashes made with other parameters still verify and are rehashed at the next sign-in."""
    global _hasher
    before, _hasher = _hasher, chosen
    _dummy_hash.cache_clear()
    return before


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("not a password of anyone")


def hash_password(password: str) -> str:
    check_password(password)
    return hasher().hash(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"密码最多 {MAX_PASSWORD} 个字符")


def check_name(name: str) -> str:
    """An account name as stored: stripped, 1 to 64 characters, no spaces or control characters."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > MAX_NAME:
        raise AccountError(f"账号名应为 1 到 {MAX_NAME} 个字符")
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in name):
        raise AccountError("账号名不能含空格或控制字符")
    return name


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"角色应为 {' 或 '.join(Role)}，收到 {role!r}") from None


def verify(password_hash: str, password: str) -> bool:
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to: the account (ok), or why not (bad, locked) and until when."""

    user: UserRow | None
    reason: str = ""  # "" | "bad" (unknown name, wrong password or disabled) | "locked"
    locked_until: datetime | None = None


def authenticate(session: Session, name: str, password: str, now: datetime) -> LoginResult:
    """Check a name and password. A locked account says locked whatever the password; the 5th wrong password
    in a row locks it for 15 minutes; an unknown name costs the same argon2 check as a known one."""
    user = users.get_user(session, name.strip()) if len(password) <= MAX_PASSWORD else None
    if user is None:
        verify(_dummy_hash(), password[:MAX_PASSWORD])
        return LoginResult(None, "bad")
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(None, "locked", user.locked_until)
    if not verify(user.password_hash, password) or user.disabled:
        if users.note_failed_login(session, user.id, now, LOCK_AFTER, LOCK_FOR):
            log.warning("console account %r locked for %s after %d wrong passwords", user.name, LOCK_FOR, LOCK_AFTER)
            return LoginResult(None, "locked", now + LOCK_FOR)
        return LoginResult(None, "bad")
    users.note_good_login(session, user.id)
    if hasher().check_needs_rehash(user.password_hash):
        users.set_password(session, user.name, hasher().hash(password))
    return LoginResult(user)


# ---- account changes (CLI and console), each with its audit entry -----------------------------------------------
def _who(row: UserRow) -> str:
    return f"{row.name}（{Role(row.role).label}）"


def add_user(session: Session, name: str, password: str, role: str, actor: str) -> UserRow:
    """A new account; AccountError for a bad name, password or role, store.errors.AlreadyExists for a taken name."""
    row = users.add_user(session, check_name(name), hash_password(password), check_role(role).value)
    audit.record(session, actor, AuditAction.USER_ADD, AuditTarget.USER, row.id, _who(row))
    return row


def change_password(session: Session, name: str, password: str, actor: str, keep_token_sha256: str = "") -> UserRow:
    """A new password (signs the account out of every other browser); NotFound for an unknown name."""
    row = users.set_password(session, name.strip(), hash_password(password), keep_token_sha256)
    audit.record(session, actor, AuditAction.USER_PASSWORD, AuditTarget.USER, row.id, row.name)
    return row


def set_disabled(session: Session, name: str, disabled: bool, actor: str) -> UserRow:
    row = users.set_disabled(session, name.strip(), disabled)
    action = AuditAction.USER_DISABLE if disabled else AuditAction.USER_ENABLE
    audit.record(session, actor, action, AuditTarget.USER, row.id, row.name)
    return row


def set_role(session: Session, name: str, role: str, actor: str) -> UserRow:
    row = users.set_role(session, name.strip(), check_role(role).value)
    audit.record(session, actor, AuditAction.USER_ROLE, AuditTarget.USER, row.id, _who(row))
    return row
