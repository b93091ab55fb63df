"""Logging in to the staff console as a person does, second factor included
(docs/decisions/0019-staff-second-factor.md): the password, then at the first
login the enrolment page (the helper reads the key printed under the QR code,
as someone typing it into an authenticator app would) and later a code of the
authenticator, computed here with pyotp. Each account's key and last used time
step are remembered, so no code is offered twice (identity refuses a replay)."""
from __future__ import annotations

import html
import re
import time

import pyotp
import requests

STAFF_PASSWORD = "granite meadow copper lamp"
# email -> [secret, last time step used]
_KEYS: dict[str, list] = {}


def next_code(email: str) -> str:
    """A code of `email`'s authenticator identity has not seen yet (waiting for one if need be)."""
    secret, last = _KEYS[email]
    totp = pyotp.TOTP(secret)
    while True:
        now = totp.timecode(time.time())
        fresh = [step for step in (now - 1, now, now + 1) if last is None or step > last]
        if fresh:
            _KEYS[email][1] = fresh[0]
            return totp.generate_otp(fresh[0])
        time.sleep(1)


def _enrolled(email: str, page_text: str) -> str:
    key = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page_text).group(1)
    _KEYS[email] = [re.sub(r"\s", "", html.unescape(key)), None]
    return next_code(email)


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def log_in_browser(page, stack, email: str, password: str = STAFF_PASSWORD, then: str = "/staff/tickets") -> None:
    """On the staff login page already: password, then enrolment or code; ends on `then`."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/staff/login/(code|enrol)"))
    if "/staff/login/enrol" in page.url:
        page.get_by_label("Code from the app").fill(_enrolled(email, page.content()))
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("link", name=re.compile("continue to the console")).click()
    else:
        page.get_by_label("Authentication code").fill(next_code(email))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{stack.url}{then}")


def password_step(session: requests.Session, stack, email: str, password: str = STAFF_PASSWORD):
    """The login form's answer (not followed): a redirect to the code or enrolment page, or a refusal."""
    token = _csrf(session.get(f"{stack.url}/staff/login", timeout=10).text)
    return session.post(f"{stack.url}/staff/login", timeout=10, allow_redirects=False,
                        data={"csrf_token": token, "email": email, "password": password})


def code_step(session: requests.Session, stack, email: str, code: str | None = None):
    """The code page's answer to `code` (a fresh one of `email`'s authenticator unless told)."""
    page = session.get(f"{stack.url}/staff/login/code", timeout=10)
    return session.post(f"{stack.url}/staff/login/code", timeout=10, allow_redirects=False,
                        data={"csrf_token": _csrf(page.text), "code": code or next_code(email)})


def logged_in_session(stack, email: str, password: str = STAFF_PASSWORD) -> requests.Session:
    """A browser-like session logged in to the staff console as `email` (enrolled if need be)."""
    session = requests.Session()
    asked = password_step(session, stack, email, password)
    assert asked.status_code == 302, asked.status_code
    if "/staff/login/enrol" in asked.headers["Location"]:
        page = session.get(f"{stack.url}/staff/login/enrol", timeout=10).text
        done = session.post(f"{stack.url}/staff/login/enrol", timeout=10, allow_redirects=False,
                            data={"csrf_token": _csrf(page), "code": _enrolled(email, page)})
        assert done.status_code == 200 and "recovery-codes" in done.text, done.status_code
    else:
        assert code_step(session, stack, email).status_code == 302
    return session
