"""Who is asking (a signed session cookie naming an account, checked against the database on every request),
CSRF tokens on every form, and the headers every response carries."""

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request, Response
from starlette.middleware.base import BaseHTTPMiddleware

from workflow.accounts import Account, session_account
from workflow.db import Database

SESSION_COOKIE = "ogi_session"
SESSION_HOURS = 8  # a working day; the cookie and the session in it expire together
CSRF_FIELD = "csrf_token"

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No valid session: the page redirects to /login (and back afterwards)."""


class CsrfRejected(Exception):
    """A POST without the session's CSRF token: 403, nothing done."""


@dataclass(frozen=True)
class Visitor:
    """The request's account (None before login) and its CSRF token."""

    account: Account | None
    csrf: str


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login form has one before anyone logs in)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a POST whose form token is not this session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRejected


def open_session(request: Request, account: Account) -> None:
    """After a login: a fresh session (a new CSRF token too) naming the account and its password stamp."""
    request.session.clear()
    request.session.update({"user": account.username, "stamp": account.stamp, "csrf": secrets.token_urlsafe(32)})


def current_account(request: Request, db: Database) -> Account | None:
    """The account the session names, if it still stands (not disabled, password unchanged since)."""
    username, stamp = request.session.get("user"), request.session.get("stamp")
    if not isinstance(username, str) or not isinstance(stamp, str):
        return None
    account = session_account(db, username=username, stamp=stamp)
    if account is None:
        request.session.clear()
    return account


class SecurityHeaders(BaseHTTPMiddleware):
    """The headers of HEADERS on every response: a strict CSP, no framing, no caching of case data."""

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
