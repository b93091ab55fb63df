"""Ownership sweep: candidate B's session or bearer token on candidate A's object answers 404.

Generated from the gateway's URL map and OpenAPI document (routes.py): every
route of a candidate whose URL names something a candidate owns is tried by
B with A's real identifier, by session for pages (with B's own CSRF token, so
the form is otherwise acceptable) and by bearer token for the API (with a
valid body where the document asks for one). A's own GET of the same URL
answers 200 first, so the identifier is real.

A certification's identifier is the catalog's (`ccna`), which B may hold too:
there B's answer may be about B's own standing (B's progress page, or 409
`certification_not_active` for a document B does not hold), never A's answer
or anything naming A.
"""
from __future__ import annotations

import pytest

from tests.security.conftest import COVERED, gateway
from tests.security.routes import NOT_OWNED, OWNED, SAMPLES, request_body

ROUTES, OPENAPI = gateway()
OWNED_ROUTES = [route for route in ROUTES if route.owned]
# Identifiers of the catalog, which every candidate may hold: what is owned is the holding.
CATALOG_KINDS = {"certification"}


def test_every_url_argument_is_classified():
    unknown = {f"{route}: <{name}>" for route in ROUTES for name in route.arguments
               if name not in OWNED and name not in NOT_OWNED}
    assert not unknown, ("URL arguments the ownership sweep does not know: say in tests/security/routes.py "
                         f"whether each names something a candidate owns: {sorted(unknown)}")


def test_the_sweep_covers_each_kind_of_owned_identifier_the_gateway_takes():
    kinds = {kind for route in OWNED_ROUTES for kind in route.owned.values()}
    assert {"transcript", "order", "certification", "credential"} <= kinds, kinds


@pytest.mark.slow
@pytest.mark.parametrize("route", OWNED_ROUTES, ids=str)
def test_another_candidate_gets_404_on_the_owners_object(route, owner, attacker):
    values = {}
    for name, kind in route.owned.items():
        values[name] = owner.identifier(kind)
        assert values[name] is not None, (
            f"{route}: no way to make a real {kind} for <{name}>: add a provider to Owner in "
            "tests/security/conftest.py (a route must never be skipped)")
    for name, is_int in route.arguments.items():
        values.setdefault(name, SAMPLES.get(name, "1" if is_int else "x"))
    path = route.path(values)
    COVERED.setdefault("ownership (B on A's objects → 404)", []).append(f"{route.method} {path}")

    own = None
    if route.method == "GET":
        own = owner.api("GET", path) if route.api else owner.session.get(
            f"{owner.stack.url}{path}", timeout=30, allow_redirects=False)
        assert own.status_code == 200, f"{route}: the owner's own request answered {own.status_code}"

    if route.api:
        overrides = {"certification_id": "ccna", "valid_through": "2030-01-01", "to": "someone@example.com",
                     "certifications": "all_active"}
        body = request_body(OPENAPI, route, overrides)
        answer = attacker.api(route.method, path, **({} if body is None else {"json": body}))
    elif route.method == "GET":
        answer = attacker.session.get(f"{attacker.stack.url}{path}", timeout=30, allow_redirects=False)
    else:
        answer = attacker.session.request(route.method, f"{attacker.stack.url}{path}", timeout=30,
                                          allow_redirects=False, data={"csrf_token": attacker.csrf()})
    assert owner.candidate_id not in answer.text and owner.email not in answer.text
    assert "Hamilton" not in answer.text, f"{route} as B: A's name"  # A's last name (test_fulfillment)
    if set(route.owned.values()) <= CATALOG_KINDS:
        # B's own standing in the same catalog entry: a page or JSON about B, or a refusal
        # (404, or 409 certification_not_active: B holds no active one); never A's answer.
        assert own is None or answer.content != own.content, f"{route} as B: A's own answer"
        page_or_json = answer.headers.get("Content-Type", "").startswith(("text/html", "application/json"))
        assert answer.status_code in (404, 409) or (answer.status_code == 200 and page_or_json), (
            f"{route} as B: {answer.status_code} {answer.headers.get('Content-Type')}")
        assert '"status":"active"' not in answer.text, f"{route} as B: held by B?"
        return
    assert answer.status_code == 404, f"{route} as B: {answer.status_code} {answer.text[:300]}"
