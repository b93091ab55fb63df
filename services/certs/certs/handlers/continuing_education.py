"""Continuing education: candidates submit activities (CE credits, or a course
completion certificate for a certification that renews by course), staff
approve with credits or reject with a reason; approval re-evaluates.

A document is judged by its content, never by its name or declared type:
PDF (`%PDF-`), JPEG (FF D8 FF) or PNG (89 50 4E 47 0D 0A 1A 0A), at most
5 MB. It is kept in the database (never under a web root) and served only
to staff. Credits count by the activity's completion date, also when
approved later (decision 0004 §"evaluation model"), so an approval may
renew a certification retroactively.
"""
from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared.clock import Clock
from certtrack_shared.validation import parse

from certs import mails
from certs.catalog.expressions import CourseCompletion, walk
from certs.catalog.loaded import LoadedCatalogs
from certs.exceptions import (
    CHECK_FIELDS, ActivityAlreadyReviewed, ActivityNotFound, InvalidReview, InvalidSubmission,
)
from certs.handlers import standings
from certs.handlers.standings import lock_candidate
from certs.models import Activity, Candidate
from certs.schemas import ActivityView, Approval, BinaryPayload, CandidateCeSubmission, Rejection, StaffActivityView

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
SUBMISSION_WINDOW_DAYS = 90
MIN_CREDITS, MAX_CREDITS = 1, 200
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def content_type_of(data: bytes) -> str | None:
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def course_certifications(catalogs: LoadedCatalogs, program: str) -> set[str]:
    """Certifications of the program that renew by an approved course."""
    catalog = catalogs.program(program)
    return {
        node.course_completion
        for certification in catalog.certifications
        for path in certification.recertification
        for _, node in walk(path.requires)
        if isinstance(node, CourseCompletion)
    }


def submit(session: Session, catalogs: LoadedCatalogs, clock: Clock, **arguments) -> ActivityView:
    request = parse(CandidateCeSubmission, arguments, partial(InvalidSubmission, message=CHECK_FIELDS), depth=1)
    candidate = standings.get_candidate(session, request.candidate_id)
    today = clock.today()
    problems: dict[str, str] = {}
    if request.completed_on > today:
        problems["completed_on"] = "The completion date cannot be in the future."
    elif request.completed_on < today - timedelta(days=SUBMISSION_WINDOW_DAYS):
        problems["completed_on"] = (
            f"Submit an activity within {SUBMISSION_WINDOW_DAYS} days of its completion.")
    certification_id = request.certification_id or None
    if request.kind == "course":
        allowed = course_certifications(catalogs, candidate.program)
        if not certification_id:
            problems["certification_id"] = "Choose the certification this course renews."
        elif certification_id not in allowed:
            problems["certification_id"] = "This certification does not renew by a course."
    elif certification_id is not None and certification_id not in {
            c.id for c in catalogs.program(candidate.program).certifications}:
        problems["certification_id"] = "No such certification in your program."
    data, content_type = _document(request.document.data_b64, problems)
    if problems:
        raise InvalidSubmission(problems, message=CHECK_FIELDS)
    activity = Activity(
        candidate_id=candidate.candidate_id, program=candidate.program, kind=request.kind,
        title=request.title, provider=request.provider, completed_on=request.completed_on,
        certification_id=certification_id, credits=None, status="pending",
        document_filename=request.document.filename, document_content_type=content_type,
        document=data, submitted_at=clock.now(),
    )
    session.add(activity)
    session.flush()
    return ActivityView.model_validate(activity)


def _document(data_b64: str, problems: dict) -> tuple[bytes, str]:
    # Refuse an oversized upload before decoding it (base64 is 4/3 of the bytes).
    if len(data_b64) > (MAX_DOCUMENT_BYTES * 4) // 3 + 8:
        problems["document"] = "The file is larger than 5 MB."
        return b"", ""
    try:
        data = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        problems["document"] = "The file could not be read."
        return b"", ""
    if not data:
        problems["document"] = "The file is empty."
    elif len(data) > MAX_DOCUMENT_BYTES:
        problems["document"] = "The file is larger than 5 MB."
    else:
        content_type = content_type_of(data)
        if content_type is None:
            problems["document"] = "Upload a PDF, JPEG or PNG file."
        else:
            return data, content_type
    return b"", ""


# -- staff --------------------------------------------------------------------
def _staff_view(activity: Activity, candidate: Candidate | None) -> StaffActivityView:
    view = ActivityView.model_validate(activity).model_dump()
    return StaffActivityView(
        **view, candidate_id=activity.candidate_id,
        candidate_name=candidate.display_name if candidate else activity.candidate_id,
        document_filename=activity.document_filename, reviewed_by=activity.reviewed_by)


def review_queue(session: Session) -> list[StaffActivityView]:
    rows = session.execute(
        select(Activity, Candidate).join(Candidate, Candidate.candidate_id == Activity.candidate_id,
                                         isouter=True)
        .where(Activity.status == "pending").order_by(Activity.submitted_at, Activity.id)
    ).all()
    return [_staff_view(activity, candidate) for activity, candidate in rows]


def _activity(session: Session, activity_id, lock: bool = False) -> Activity:
    activity = None
    if isinstance(activity_id, int) and not isinstance(activity_id, bool):
        query = select(Activity).where(Activity.id == activity_id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        activity = session.scalars(query).first()
    if activity is None:
        raise ActivityNotFound({"activity_id": activity_id if isinstance(activity_id, int) else None},
                               message="No such activity.")
    return activity


def staff_activity(session: Session, activity_id) -> StaffActivityView:
    activity = _activity(session, activity_id)
    return _staff_view(activity, session.get(Candidate, activity.candidate_id))


def document(session: Session, activity_id) -> BinaryPayload:
    activity = _activity(session, activity_id)
    return BinaryPayload(filename=activity.document_filename, content_type=activity.document_content_type,
                         data_b64=base64.b64encode(activity.document).decode("ascii"))


def _pending(session: Session, activity_id: int) -> Activity:
    activity = _activity(session, activity_id)
    # Lock the candidate first (the order every evaluation takes), then the row.
    lock_candidate(session, activity.candidate_id)
    activity = _activity(session, activity_id, lock=True)
    if activity.status != "pending":
        raise ActivityAlreadyReviewed(
            {"status": activity.status, "reviewed_by": activity.reviewed_by},
            message=f"This activity was {activity.status} already.")
    return activity


def approve(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, **arguments) -> ActivityView:
    request = parse(Approval, arguments, partial(InvalidReview, message=CHECK_FIELDS), depth=1)
    activity = _pending(session, request.activity_id)
    if activity.kind == "ce":
        if request.credits is None or not MIN_CREDITS <= request.credits <= MAX_CREDITS:
            raise InvalidReview({"credits": f"Give between {MIN_CREDITS} and {MAX_CREDITS} credits."},
                                message=CHECK_FIELDS)
        activity.credits = request.credits
    now = clock.now()
    activity.status = "approved"
    activity.reviewed_at, activity.reviewed_by = now, request.staff
    session.flush()
    changes = standings.reevaluate(session, outbox, catalogs, clock, activity.candidate_id)
    candidate = session.get(Candidate, activity.candidate_id)
    catalog = catalogs.program(activity.program)
    renewed = [catalog.certification(c.certification_id).name for c in changes
               if c.event_type in ("certification_recertified", "certification_achieved")]
    mails.send(session, outbox, candidate, "ce_activity_approved", now, **_mail_context(activity, catalogs),
               renewed=", ".join(renewed) or None)
    return ActivityView.model_validate(activity)


def reject(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock, **arguments) -> ActivityView:
    request = parse(Rejection, arguments, partial(InvalidReview, message=CHECK_FIELDS), depth=1)
    activity = _pending(session, request.activity_id)
    now = clock.now()
    activity.status = "rejected"
    activity.reason = request.reason
    activity.reviewed_at, activity.reviewed_by = now, request.staff
    session.flush()
    candidate = session.get(Candidate, activity.candidate_id)
    mails.send(session, outbox, candidate, "ce_activity_rejected", now, **_mail_context(activity, catalogs),
               reason=request.reason)
    return ActivityView.model_validate(activity)


def _mail_context(activity: Activity, catalogs: LoadedCatalogs) -> dict:
    name = None
    if activity.certification_id:
        try:
            name = catalogs.program(activity.program).certification(activity.certification_id).name
        except KeyError:
            name = activity.certification_id
    return dict(title=activity.title, provider=activity.provider, kind=activity.kind,
                completed_on=mails.long_date(activity.completed_on), credits=activity.credits,
                certification_name=name)
