"""Dead letters, across the services that archive them: list, inspect, replay, discard.

Each consuming service keeps the dead letters of its own queues
(lib/certtrack_shared/deadletters/) and answers `list_dead_letters`,
`get_dead_letter`, `replay_dead_letter` and `discard_dead_letter`; this
page asks every service that consumes a queue of the topology. A service
that has no archive (no such method) is left out; one that does not answer
is named on the page, so a silent gap cannot pass for "nothing held".
Replay and discard are audited by the service, with the staff member's email.
"""
from __future__ import annotations

import base64
import json
import re

from flask import abort, flash, redirect, render_template, request, url_for
from nameko.exceptions import MethodNotFound, RemoteError

from certtrack_shared.topology import consuming_services

from ..errors import ServiceTimeout, ServiceUnreachable
from . import access, blueprint, client
from .forms import problems_of

STATUSES = ("held", "replayed", "discarded")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _service(service: str) -> str:
    # Only services of the topology: the URL never names an arbitrary RPC target.
    if service not in consuming_services():
        abort(404)
    return service


@blueprint.get("/dead-letters")
def dead_letters():
    status = request.args.get("status", "held")
    if status not in STATUSES + ("all",):
        status = "held"
    found, unreachable = [], []
    for service in consuming_services():
        try:
            found += client.list_dead_letters(service, status=None if status == "all" else status)
        except MethodNotFound:
            continue  # this service archives no dead letters (it consumes nothing yet)
        except (ServiceUnreachable, ServiceTimeout):
            unreachable.append(service)
    found.sort(key=lambda item: item["dead_lettered_at"], reverse=True)
    return render_template("staff/dead_letters.html", items=found, status=status,
                           statuses=STATUSES, unreachable=unreachable)


@blueprint.get("/dead-letters/<service>/<int:dead_letter_id>")
def dead_letter(service: str, dead_letter_id: int):
    return _page(_service(service), dead_letter_id, {})


@blueprint.post("/dead-letters/<service>/<int:dead_letter_id>/replay")
def replay_dead_letter(service: str, dead_letter_id: int):
    service = _service(service)
    body = request.form.get("body", "")
    try:
        client.replay_dead_letter(service, dead_letter_id=dead_letter_id, staff=access.current_staff()["email"],
                                  corrected_body=body if body.strip() else None)
    except RemoteError as error:
        return _refused(error, service, dead_letter_id, body=body)
    flash("Replayed: the message is back on its queue and will be applied once.", "success")
    return redirect(url_for("staff.dead_letter", service=service, dead_letter_id=dead_letter_id))


@blueprint.post("/dead-letters/<service>/<int:dead_letter_id>/discard")
def discard_dead_letter(service: str, dead_letter_id: int):
    service = _service(service)
    reason = request.form.get("reason", "").strip()
    if not reason:
        return _page(service, dead_letter_id, {"reason": "Say why the message is discarded."}), 400
    try:
        client.discard_dead_letter(service, dead_letter_id=dead_letter_id, staff=access.current_staff()["email"],
                                   reason=reason)
    except RemoteError as error:
        return _refused(error, service, dead_letter_id, reason=reason)
    flash("Discarded: the message will not be applied; your reason is kept.", "success")
    return redirect(url_for("staff.dead_letter", service=service, dead_letter_id=dead_letter_id))


def _refused(error: RemoteError, service: str, dead_letter_id: int, **typed):
    if error.exc_type == "DeadLetterAlreadyResolved":
        flash("This message was already replayed or discarded, perhaps by a colleague; "
              "nothing was changed.", "error")
        return redirect(url_for("staff.dead_letter", service=service, dead_letter_id=dead_letter_id))
    problems = problems_of(error)
    if problems is None:
        raise error
    return _page(service, dead_letter_id, problems, **typed), 422


def _page(service: str, dead_letter_id: int, problems: dict, body: str | None = None,
          reason: str = ""):
    detail = client.get_dead_letter(service, dead_letter_id=dead_letter_id)
    shown = shown_body(detail)
    return render_template(
        "staff/dead_letter.html", item=detail, shown=shown, problems=problems,
        body=shown["editable"] if body is None else body, reason=reason,
        headers=json.dumps(detail["headers"], indent=2, sort_keys=True, ensure_ascii=False),
    )


def shown_body(detail: dict) -> dict:
    """How the console shows a body: `kind` json / text / bytes, the `text` to
    show (control characters and undecodable bytes escaped, never raw) and
    the `editable` starting point of a correction."""
    text = detail.get("body_text")
    if text is not None:
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return {"kind": "text", "text": _escape_controls(text), "editable": text}
        return {"kind": "json", "text": pretty, "editable": pretty}
    raw = base64.b64decode(detail.get("body_b64") or "")
    return {"kind": "bytes", "text": repr(raw)[2:-1], "size": len(raw),
            "editable": raw.decode("utf-8", errors="replace")}


def _escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
