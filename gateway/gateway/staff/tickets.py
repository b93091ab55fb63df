"""The support-ticket queue: list, view (with the ID document), approve or reject."""
from __future__ import annotations

import base64
import io
import re

from flask import flash, redirect, render_template, request, send_file, url_for
from nameko.exceptions import RemoteError

from ..profile import client as profiles
from . import access, blueprint
from .forms import problems_of

# What identity accepts as an ID scan (checked by content there); anything
# else would only ever be offered as a download.
_SHOWN_INLINE = {"application/pdf", "image/jpeg", "image/png"}
_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:;]+')
# The document may be shown in the ticket page's frame, and nowhere else;
# it is never a page in its own right.
_DOCUMENT_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@blueprint.get("/")
def index():
    return redirect(url_for("staff.queue"))


@blueprint.get("/tickets")
def queue():
    tickets = profiles.staff_list_tickets(status=None)
    waiting = sorted((t for t in tickets if t["status"] == "open"), key=lambda t: t["created_at"])
    decided = sorted(
        (t for t in tickets if t["status"] != "open"),
        key=lambda t: t.get("decided_at") or t["created_at"], reverse=True,
    )
    return render_template("staff/queue.html", waiting=waiting, decided=decided)


@blueprint.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    return render_template("staff/ticket.html", ticket=profiles.staff_get_ticket(ticket_id=ticket_id))


@blueprint.get("/tickets/<int:ticket_id>/document")
def document(ticket_id: int):
    found = profiles.staff_get_ticket_document(ticket_id=ticket_id)
    data = base64.b64decode(found["data_b64"], validate=True)
    content_type = found.get("content_type")
    inline = content_type in _SHOWN_INLINE and request.args.get("download") is None
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type if content_type in _SHOWN_INLINE else "application/octet-stream",
        as_attachment=not inline,
        download_name=_filename(found.get("filename"), content_type),
        conditional=False, etag=False, last_modified=None, max_age=None,
    )
    # A person's identity document: never kept by any cache, never sniffed
    # into something executable, framed only by the ticket page.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = _DOCUMENT_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@blueprint.post("/tickets/<int:ticket_id>/approve")
def approve(ticket_id: int):
    return _decide(ticket_id, "approve", None)


@blueprint.post("/tickets/<int:ticket_id>/reject")
def reject(ticket_id: int):
    reason = request.form.get("reason", "").strip()
    if not reason:
        ticket = profiles.staff_get_ticket(ticket_id=ticket_id)
        problem = "Say why the request is rejected: the candidate receives this reason by email."
        return render_template("staff/ticket.html", ticket=ticket, reject_problem=problem), 400
    return _decide(ticket_id, "reject", reason)


def _decide(ticket_id: int, decision: str, reason: str | None):
    staff = access.current_staff()
    try:
        decided = profiles.staff_decide_ticket(ticket_id=ticket_id, staff_id=staff["id"], decision=decision,
                                               reason=reason)
    except RemoteError as error:
        if error.exc_type == "InvalidDecision":
            # identity's own words, e.g. a reason longer than it keeps.
            problems = problems_of(error) or {}
            problem = problems.get("reason") or problems.get("decision") or next(iter(problems.values()), "")
            ticket = profiles.staff_get_ticket(ticket_id=ticket_id)
            return render_template("staff/ticket.html", ticket=ticket, reject_problem=problem, reason=reason), 422
        if error.exc_type != "TicketAlreadyDecided":
            raise
        flash("This ticket was already decided, perhaps by a colleague; nothing was changed.", "error")
    else:
        if decided["status"] == "approved":
            flash(
                f"Approved: the name is now {decided['requested_first_name']} "
                f"{decided['requested_last_name']}, and the candidate was told by email.", "success",
            )
        else:
            flash("Rejected: the candidate was told the reason by email.", "success")
    return redirect(url_for("staff.ticket", ticket_id=ticket_id))


def _filename(given: str | None, content_type: str | None) -> str:
    name = _UNSAFE_IN_FILENAME.sub("_", (given or "").rsplit("/", 1)[-1]).strip(" ._")
    if name:
        return name[:120]
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(content_type, "bin")
    return f"document.{extension}"

