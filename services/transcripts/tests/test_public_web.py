"""The public web app (transcripts/public_web.py) on a real database: the page
for each display option, its states and headers, client addresses behind
proxies, and that it answers with the transcripts Nameko service stopped.
(The JSON API's rules run in test_transcripts.py, once per entrypoint.)"""
from __future__ import annotations

import re

import pytest

from transcripts.handlers.verification import CLIENT_LIMIT

from services.transcripts.tests.conftest import PROXY, make_web
from services.transcripts.tests.support import ADA, create


def shown_page(web, code, access_code, client="198.51.100.7"):
    return web.get(f"/verify/{code}", query_string={"access_code": access_code},
                   headers={"X-Forwarded-For": client}, environ_base={"REMOTE_ADDR": PROXY})


def main_text(answer) -> str:
    html = answer.get_data(as_text=True)
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1].split("</main>", 1)[0])


def views(events, code) -> int:
    return events.execute("SELECT count(*) FROM transcript_views v JOIN transcripts t ON t.id = v.transcript_id "
                          "WHERE t.code = :c", c=code).scalar_one()


@pytest.mark.parametrize("options, shown, hidden", [
    ({}, ["Ada Lovelace", "CCNA", "Active"],
     ["ada@example.com", "200-301", "DevNet", "CCNP", "CyberOps", "CCIE", "ACME", "sent to HR", ADA, "Exams passed"]),
    ({"show_email": True}, ["ada@example.com", "CCNA"], ["200-301", "DevNet", "CCNP", "Exams passed"]),
    ({"include_exams": True}, ["Exams passed", "200-301"], ["ada@example.com", "350-401", "200-201", "CCNP"]),
    ({"include_expired": True}, ["CCNP Enterprise", "Expired", "CyberOps", "Revoked", "DevNet"],
     ["ada@example.com", "200-301", "CCIE"]),
    ({"certifications": ["devnet_associate"], "include_expired": True}, ["DevNet", "Expired"],
     ["CCNA", "CCNP", "ada@example.com"]),
])
def test_the_page_shows_exactly_what_the_display_options_allow(rpc, events, ada_record, web, options, shown, hidden):
    code, access_code = create(rpc, **options)

    answer = shown_page(web, code, access_code)

    assert answer.status_code == 200
    text = main_text(answer)
    assert "Verified transcript" in text and "Generated" in text
    for wanted in shown:
        assert wanted in text
    for leak in hidden:
        assert leak not in text
    assert views(events, code) == 1  # one page, one view


def test_without_an_access_code_the_page_asks_for_it_with_a_get_form(rpc, events, ada_record, web):
    code, _access_code = create(rpc)

    answer = web.get(f"/verify/{code}")

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert re.search(rf'<form class="form" method="get" action="/verify/{code}">', html)
    assert 'name="access_code"' in html and "Lovelace" not in html
    assert '<link rel="stylesheet" href="/static/site.css">' in html
    assert views(events, code) == 0


def test_the_page_refuses_wrong_codes_and_says_only_expired_or_deactivated(rpc, events, ada_record, web):
    code, access_code = create(rpc)

    wrong = shown_page(web, code, "not-the-code")
    assert wrong.status_code == 404
    assert "No transcript matches" in main_text(wrong) and "Lovelace" not in main_text(wrong)

    rpc.deactivate_transcript(candidate_id=ADA, code=code)
    gone = shown_page(web, code, access_code)
    assert gone.status_code == 410
    assert "deactivated by its owner" in main_text(gone)
    for leak in ("Lovelace", "CCNA", 'name="access_code"'):
        assert leak not in gone.get_data(as_text=True)
    assert views(events, code) == 0


def test_every_answer_is_private(rpc, ada_record, web):
    code, access_code = create(rpc)

    for answer in (web.get(f"/verify/{code}"), shown_page(web, code, access_code),
                   web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code})):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Robots-Tag"] == "noindex"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_too_many_wrong_codes_show_the_form_with_a_wait_and_retry_after(rpc, ada_record, web):
    for attempt in range(CLIENT_LIMIT):
        shown_page(web, f"guess-{attempt}", "guess", client="203.0.113.50")
    code, access_code = create(rpc)

    limited = shown_page(web, code, access_code, client="203.0.113.50")

    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many wrong access codes" in main_text(limited) and "Lovelace" not in main_text(limited)
    assert shown_page(web, code, access_code, client="203.0.113.51").status_code == 200


def test_x_forwarded_for_is_ignored_unless_from_a_trusted_proxy(rpc, ada_record, config):
    """A client cannot escape the per-address limit by writing X-Forwarded-For itself."""
    direct = make_web(config)  # TRUSTED_PROXY_COUNT=0: nothing in front of it
    try:
        client = direct.test_client()
        for attempt in range(CLIENT_LIMIT):
            client.get(f"/api/v1/verify/guess-{attempt}", query_string={"access_code": "guess"},
                       headers={"X-Forwarded-For": f"192.0.2.{attempt}"}, environ_base={"REMOTE_ADDR": "203.0.113.70"})
        code, access_code = create(rpc)
        limited = client.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code},
                             headers={"X-Forwarded-For": "192.0.2.250"}, environ_base={"REMOTE_ADDR": "203.0.113.70"})
        assert limited.status_code == 429
    finally:
        direct.extensions["transcripts_connections"].close()
        direct.extensions["transcripts_db"].dispose()


def test_behind_one_proxy_only_the_address_it_saw_counts(rpc, ada_record, web):
    for attempt in range(CLIENT_LIMIT):
        # The client writes a different address each time; the proxy appends the real one.
        web.get(f"/api/v1/verify/guess-{attempt}", query_string={"access_code": "guess"},
                headers={"X-Forwarded-For": f"192.0.2.{attempt}, 203.0.113.80"}, environ_base={"REMOTE_ADDR": PROXY})
    code, access_code = create(rpc)

    assert shown_page(web, code, access_code, client="192.0.2.251, 203.0.113.80").status_code == 429
    assert shown_page(web, code, access_code, client="203.0.113.81").status_code == 200


def test_it_answers_and_counts_views_while_the_nameko_service_is_stopped(service, rpc, events, ada_record, web):
    """The decision's reason (docs/decisions/0006-transcripts.md): verification needs
    neither the broker nor the Nameko service, only the projection's database."""
    code, access_code = create(rpc, show_email=True)
    service.stop()

    api = web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code})
    page = shown_page(web, code, access_code)

    assert api.status_code == 200 and api.json["candidate"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert page.status_code == 200 and "Ada Lovelace" in main_text(page)
    assert views(events, code) == 2
    assert web.get("/readyz").json == {"status": "ok", "components": {"database": "ok"}}


def test_the_api_writes_exactly_what_the_contracts_pydantic_model_would(rpc, ada_record, web):
    """The hot path builds plain dicts (verification._view); the schema stays the reference."""
    from transcripts.schemas import VerifiedTranscript

    for options in ({"show_email": True, "include_exams": True, "include_expired": True}, {}):
        code, access_code = create(rpc, **options)
        answer = web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code})
        model = VerifiedTranscript.model_validate_json(answer.data)
        assert answer.data == model.model_dump_json(exclude_unset=True).encode()
        assert ("exams" in answer.json) == bool(options) and ("email" in answer.json["candidate"]) == bool(options)


def test_a_lost_database_connection_fails_one_request_and_the_next_connects_anew(rpc, events, ada_record, web):
    code, access_code = create(rpc)
    assert web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code}).status_code == 200
    kept = web.application.extensions["transcripts_connections"].get()
    kept.connection.dbapi_connection.close()  # as a database restart would leave it

    lost = web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code})
    again = web.get(f"/api/v1/verify/{code}", query_string={"access_code": access_code})

    assert lost.status_code == 500 and lost.json["error"]["code"] == "internal_error"
    assert again.status_code == 200 and views(events, code) == 2
