"""CSRF sweep: every state-changing form route of the site, posted without its CSRF token
by a logged-in browser session, answers 400 (and changes nothing: the check runs before
any handler). Generated from the URL map; the bearer-token JSON API (/api/) is exempt by
design (gateway/gateway/security.py)."""
from __future__ import annotations

import pytest

from tests.security.conftest import COVERED, gateway
from tests.security.routes import STATE_CHANGING

ROUTES, _ = gateway()
FORM_ROUTES = [route for route in ROUTES if route.method in STATE_CHANGING and not route.api]


def test_the_site_has_form_routes_to_sweep():
    assert len(FORM_ROUTES) > 20, [str(route) for route in FORM_ROUTES]


@pytest.mark.parametrize("route", FORM_ROUTES, ids=str)
def test_a_form_posted_without_its_csrf_token_is_refused(route, attacker):
    path = route.path({name: "1" if is_int else "x" for name, is_int in route.arguments.items()})
    COVERED.setdefault("CSRF (form without token → 400)", []).append(f"{route.method} {path}")
    attacker.csrf()  # the session holds a token: only the form lacks it

    answer = attacker.session.request(route.method, f"{attacker.stack.url}{path}", timeout=30,
                                      allow_redirects=False, data={"anything": "x"})

    assert answer.status_code == 400, f"{route}: {answer.status_code}"
    assert "CSRF" in answer.text or "form" in answer.text.lower()
