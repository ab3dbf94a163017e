"""Signing in and the gate: every page but /login and /healthz needs a session; the cookie is HttpOnly, Lax,
Secure behind TLS and expires; five wrong passwords lock an account for 15 minutes; every POST needs the CSRF
token; the store keeps only the token's sha256."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from store.models import WebSession
from tests.web.helpers import PASSWORD, Site, csrf_of, login, login_token

PAGES = ["/", "/reports", "/reports/1", "/failures", "/failures?status=all", "/failures/1", "/digests",
         "/digests/1", "/export.xlsx", "/attachments/1", "/messages/1/raw", "/users", "/account", "/no-such-page"]
POSTS = ["/logout", "/failures/1/resolve", "/failures/1/ignore", "/failures/1/reparse", "/users",
         "/users/1/disable", "/users/1/enable", "/users/1/password", "/users/1/role", "/account/password"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_without_a_session_sends_the_visitor_to_the_login_page(site: Site, path: str) -> None:
    response = site.client().get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", POSTS)
def test_every_post_without_a_session_sends_the_visitor_to_the_login_page_and_changes_nothing(
        site: Site, path: str) -> None:
    response = site.client().post(path, data={"note": "x", "csrf_token": "x"})
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_login_page_and_healthz_need_no_session(site: Site) -> None:
    client = site.client()
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").json()["db"] == "ok"


def test_signing_in_sets_an_httponly_lax_cookie_that_expires_after_the_session_hours(site: Site) -> None:
    site.add_user("limei")
    client = site.client()
    response = login(client, "limei", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("intake_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain HTTP in this test: a Secure cookie would never come back
    assert client.get("/").status_code == 200


def test_behind_the_tls_proxy_the_cookies_are_secure(site: Site) -> None:
    site.add_user("limei")
    proxied = site.client(headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in proxied.get("/login").headers["set-cookie"]
    direct = site.client(base_url="https://testserver")
    assert "Secure" in login(direct, "limei", PASSWORD).headers["set-cookie"]


def test_the_store_keeps_only_the_sha256_of_the_session_token(site: Site) -> None:
    client = site.signed_in()
    token = client.cookies["intake_session"]
    with site.store() as session:
        kept = session.scalars(select(WebSession.token_sha256)).all()
    assert kept == [hashlib.sha256(token.encode()).hexdigest()]


def test_a_session_ends_after_intake_web_session_hours(site: Site) -> None:
    client = site.signed_in()
    site.clock.advance(timedelta(hours=7, minutes=59))
    assert client.get("/").status_code == 200
    site.clock.advance(timedelta(minutes=2))
    assert client.get("/").headers["location"] == "/login"


def test_a_wrong_password_is_refused_with_a_warning_about_the_lockout(site: Site) -> None:
    site.add_user("limei")
    response = login(site.client(), "limei", "wrong password")
    assert response.status_code == 401
    assert "账号或密码不正确" in response.text and "intake_session" not in response.headers.get("set-cookie", "")


def test_five_wrong_passwords_lock_the_account_for_15_minutes_even_against_the_right_one(site: Site) -> None:
    site.add_user("limei")
    client = site.client()
    for _ in range(4):
        assert login(client, "limei", "wrong password").status_code == 401
    fifth = login(client, "limei", "wrong password")
    assert "已锁定" in fifth.text and "15 分钟" in fifth.text
    right = login(client, "limei", PASSWORD)
    assert right.status_code == 401 and "已锁定" in right.text
    site.clock.advance(timedelta(minutes=14))
    assert login(client, "limei", PASSWORD).status_code == 401
    site.clock.advance(timedelta(minutes=1, seconds=1))
    assert login(client, "limei", PASSWORD).status_code == 303


def test_a_good_login_starts_the_count_of_wrong_passwords_again(site: Site) -> None:
    site.add_user("limei")
    client = site.client()
    for _ in range(4):
        login(client, "limei", "wrong password")
    assert login(client, "limei", PASSWORD).status_code == 303
    other = site.client()
    for _ in range(4):
        assert login(other, "limei", "wrong password").status_code == 401
    assert login(other, "limei", PASSWORD).status_code == 303


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    response = login(site.client(), "nobody", PASSWORD)
    assert response.status_code == 401 and "账号或密码不正确" in response.text


def test_a_disabled_account_cannot_sign_in_and_its_open_sessions_end(site: Site) -> None:
    client = site.signed_in("limei")
    admin = site.signed_in("boss", "admin")
    user_id = 1
    admin.post(f"/users/{user_id}/disable", data={"csrf_token": csrf_of(admin)})
    assert client.get("/").headers["location"] == "/login"
    assert login(site.client(), "limei", PASSWORD).status_code == 401


def test_login_without_the_login_forms_csrf_token_is_refused(site: Site) -> None:
    site.add_user("limei")
    client = site.client()
    login_token(client)
    response = client.post("/login", data={"username": "limei", "password": PASSWORD})
    assert response.status_code == 403
    forged = client.post("/login", data={"username": "limei", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 403


@pytest.mark.parametrize("path", POSTS)
def test_every_post_without_the_sessions_csrf_token_is_refused_with_403(site: Site, path: str) -> None:
    client = site.signed_in("boss", "admin")
    assert client.post(path, data={"note": "x", "password": "x" * 10}).status_code == 403
    assert client.post(path, data={"note": "x", "csrf_token": "not-the-token"}).status_code == 403
    assert client.get("/").status_code == 200  # still signed in: nothing happened


def test_the_csrf_token_of_another_session_does_not_count(site: Site) -> None:
    one = site.signed_in("limei")
    other = site.signed_in("wangwu")
    assert one.post("/logout", data={"csrf_token": csrf_of(other)}).status_code == 403


def test_signing_out_ends_the_session_in_the_store_too(site: Site) -> None:
    client = site.signed_in()
    token = client.cookies["intake_session"]
    response = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    again = site.client()
    again.cookies.set("intake_session", token)
    assert again.get("/").headers["location"] == "/login"


def test_after_signing_in_the_visitor_goes_back_to_the_page_asked_for_but_never_off_site(site: Site) -> None:
    site.add_user("limei")
    client = site.client()
    assert client.get("/failures/3").headers["location"] == "/login?next=%2Ffailures%2F3"
    for target, lands in (("/failures/3", "/failures/3"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
                          ("/\\evil.example", "/")):
        client = site.client()
        token = login_token(client)
        response = client.post("/login", data={"username": "limei", "password": PASSWORD, "csrf_token": token,
                                               "next": target})
        assert response.headers["location"] == lands


def test_staff_may_not_manage_accounts(site: Site) -> None:
    client = site.signed_in("limei")
    assert client.get("/users").status_code == 403
    response = client.post("/users", data={"username": "x1", "password": "password1", "role": "admin",
                                           "csrf_token": csrf_of(client)})
    assert response.status_code == 403
    with site.store() as session:
        from store.users import get_user

        assert get_user(session, "x1") is None


@pytest.mark.parametrize("path", ["/users/1/disable", "/users/1/enable", "/users/1/password", "/users/1/role"])
def test_staff_may_not_change_accounts_even_with_a_valid_csrf_token(site: Site, path: str) -> None:
    site.add_user("boss", "admin")
    client = site.signed_in("limei")
    response = client.post(path, data={"csrf_token": csrf_of(client), "password": "new password 1", "role": "staff"})
    assert response.status_code == 403 and "只有管理员" in response.text
    with site.store() as session:
        from store.users import get_user

        boss = get_user(session, "boss")
    assert boss is not None and boss.role == "admin" and not boss.disabled
