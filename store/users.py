"""Console accounts and signed-in browsers: users with their password hashes and lockout, web sessions by token hash.

The store keeps what it is given: a password hash made by the caller (argon2, see service/accounts.py) and the
sha256 of a session's cookie token, never the token itself. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.errors import AlreadyExists, NotFound
from store.models import User, WebSession, utcnow
from store.records import SessionUser, UserRow


def _row(u: User) -> UserRow:
    return UserRow(id=u.id, name=u.name, role=u.role, disabled=u.disabled, failed_logins=u.failed_logins,
                   locked_until=u.locked_until, created_at=u.created_at, password_changed_at=u.password_changed_at,
                   password_hash=u.password_hash)


def add_user(session: Session, name: str, password_hash: str, role: str) -> UserRow:
    """A new enabled account; AlreadyExists when the name is taken (also against a concurrent writer)."""
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise AlreadyExists(f"user {name!r} exists already")
    now = utcnow()
    user = User(name=name, password_hash=password_hash, role=role, disabled=False, failed_logins=0,
                locked_until=None, created_at=now, password_changed_at=now)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise AlreadyExists(f"user {name!r} exists already") from None
    return _row(user)


def _get(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def get_user(session: Session, name: str) -> UserRow | None:
    user = session.scalar(select(User).where(User.name == name))
    return None if user is None else _row(user)


def get_user_by_id(session: Session, user_id: int) -> UserRow | None:
    user = session.get(User, user_id)
    return None if user is None else _row(user)


def list_users(session: Session) -> list[UserRow]:
    return [_row(u) for u in session.scalars(select(User).order_by(User.name))]


def end_sessions(session: Session, user_id: int, keep_token_sha256: str = "") -> None:
    """Sign the account out everywhere (but the session keep_token_sha256, when given)."""
    stmt = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_token_sha256:
        stmt = stmt.where(WebSession.token_sha256 != keep_token_sha256)
    session.execute(stmt)


def set_password(session: Session, name: str, password_hash: str, keep_token_sha256: str = "") -> UserRow:
    """A new password hash; the lockout is lifted and every other signed-in browser of the account signed out."""
    user = _get(session, name)
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    end_sessions(session, user.id, keep_token_sha256)
    return _row(user)


def set_disabled(session: Session, name: str, disabled: bool) -> UserRow:
    """Disable (and sign out everywhere) or enable an account."""
    user = _get(session, name)
    user.disabled = disabled
    session.flush()
    if disabled:
        end_sessions(session, user.id)
    return _row(user)


def set_role(session: Session, name: str, role: str) -> UserRow:
    user = _get(session, name)
    user.role = role
    session.flush()
    return _row(user)


def note_failed_login(session: Session, user_id: int, now: datetime, lock_after: int, lock_for: timedelta) -> bool:
    """Count one wrong password; at lock_after in a row the account is locked until now + lock_for (the count
    starts again). True when this attempt locked it."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    user.failed_logins += 1
    locked = user.failed_logins >= lock_after
    if locked:
        user.locked_until = now + lock_for
        user.failed_logins = 0
    session.flush()
    return locked


def note_good_login(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.failed_logins = 0
        user.locked_until = None
        session.flush()


def add_session(session: Session, user_id: int, token_sha256: str, csrf_token: str, expires_at: datetime) -> None:
    session.add(WebSession(token_sha256=token_sha256, user_id=user_id, csrf_token=csrf_token, created_at=utcnow(),
                           expires_at=expires_at))
    session.flush()


def session_user(session: Session, token_sha256: str, now: datetime) -> SessionUser | None:
    """The account signed in with this token hash, if the session has not expired and the account is enabled."""
    row = session.execute(
        select(User.id, User.name, User.role, WebSession.csrf_token, WebSession.expires_at)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_sha256 == token_sha256, WebSession.expires_at > now, User.disabled.is_(False))
    ).first()
    if row is None:
        return None
    return SessionUser(user_id=row[0], name=row[1], role=row[2], csrf_token=row[3], expires_at=row[4])


def delete_session(session: Session, token_sha256: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == token_sha256))


def purge_sessions(session: Session, now: datetime) -> int:
    """Forget expired sessions; return how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
