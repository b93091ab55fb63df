"""Agreements: every program's versions, and publishing the next one.

Two agreements work alike: the exam agreement, owned by the exams service
(services/exams/exams/handlers/agreements.py) and accepted on the Testing History page
before the next exam, and the certification agreement, owned by the certs
service (services/certs/certs/handlers/agreements.py) and accepted on the Certifications
page before the next logo or certificate download. One `Agreement` describes
each; the views and the template (staff/agreements.html) serve both.

The owning service records which staff member published each version; the
console names the staff member from its own session, never from the form.
Publishing a version makes it current at once: every candidate of the program,
whatever they accepted before, is asked to accept it again.

The form is prefilled with the current version's title and text, since a new
version is almost always an edit of the last one. Any staff member may
publish, as with vendor keys: the console has no finer roles yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..certifications import client as certs
from ..exams import client as exams
from . import access, blueprint
from .forms import problems_of

FIELDS = ("title", "body")


@dataclass(frozen=True)
class Agreement:
    """One kind of agreement: which service owns it, where its page is, and the words of the page."""

    kind: str  # "exam": the endpoints are staff.exam_agreements and staff.publish_exam_agreement
    versions: Callable[[], dict]  # the owning service's `<kind>_agreement_versions`, in its domain client
    publish: Callable[..., dict]  # its `publish_<kind>_agreement(program=, title=, body=, staff=)`
    path: str  # below /staff
    title: str  # the page's
    noun: str  # "the Cisco <noun>" in the versions table
    publish_noun: str  # "Publish version 2 of the Cisco <publish_noun>"
    introduction: str
    empty: str  # when the service lists no program
    accept_before: str  # "candidates are asked to accept it before <accept_before>."

    @property
    def endpoint(self) -> str:
        return f"staff.{self.kind}_agreements"

    @property
    def publish_endpoint(self) -> str:
        return f"staff.publish_{self.kind}_agreement"

    def programs(self) -> list[dict]:
        return self.versions()["programs"]


EXAM = Agreement(
    kind="exam", versions=exams.exam_agreement_versions, publish=exams.publish_exam_agreement,
    path="/exam-agreements", title="Exam agreements",
    noun="exam agreement", publish_noun="agreement",
    introduction="Each program's exam agreement is versioned. The newest version is the current one: once you "
                 "publish a version, every candidate of the program is asked to read and accept it on their Testing "
                 "History page, whatever they accepted before. A published version cannot be changed or withdrawn, "
                 "only followed by another.",
    empty="No program has an exam agreement yet.",
    accept_before="their next exam",
)
CERTIFICATION = Agreement(
    kind="certification", versions=certs.certification_agreement_versions,
    publish=certs.publish_certification_agreement, path="/certification-agreements", title="Certification agreements",
    noun="certification agreement", publish_noun="certification agreement",
    introduction="Each program's certification agreement (the terms of using certification logos and certificates) "
                 "is versioned. The newest version is the current one: once you publish a version, every candidate "
                 "of the program is asked to read and accept it on their Certifications page before their next logo "
                 "or certificate download, whatever they accepted before. A published version cannot be changed or "
                 "withdrawn, only followed by another.",
    empty="No program is loaded.",
    accept_before="their next logo or certificate download",
)


def _page_view(agreement: Agreement):
    def view():
        return _page(agreement), 200
    return view


def _publish_view(agreement: Agreement):
    def view(program: str):
        return _publish(agreement, program)
    return view


for _agreement in (EXAM, CERTIFICATION):
    blueprint.add_url_rule(_agreement.path, endpoint=f"{_agreement.kind}_agreements",
                           view_func=_page_view(_agreement), methods=["GET"])
    blueprint.add_url_rule(f"{_agreement.path}/<program>", endpoint=f"publish_{_agreement.kind}_agreement",
                           view_func=_publish_view(_agreement), methods=["POST"])


def _publish(agreement: Agreement, program: str):
    programs = agreement.programs()
    # Only a program the service lists: a typo in a URL must not start a new one.
    if program not in {entry["program"] for entry in programs}:
        abort(404)
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    problems = {name: "Required." for name, value in values.items() if not value}
    if problems:
        return _page(agreement, programs, program, problems, values), 400
    try:
        published = agreement.publish(program=program, staff=access.current_staff()["email"], **values)
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        # certs adds a summary `message` to its field errors: the fields say it already.
        if set(problems) - {"message"}:
            problems.pop("message", None)
        return _page(agreement, programs, program, problems, values), 422
    flash(f"Version {published['version']} of the {published['title']} is published: candidates are asked "
          f"to accept it before {agreement.accept_before}.", "success")
    return redirect(url_for(agreement.endpoint) + f"#program-{program}", 303)


def _page(agreement: Agreement, programs: list | None = None, editing: str | None = None,
          problems: dict | None = None, values: dict | None = None):
    """The page; the form of program `editing` keeps what was typed and says what is wrong."""
    if programs is None:
        programs = agreement.programs()
    forms = {}
    for entry in programs:
        current = entry["versions"][0] if entry["versions"] else {"title": "", "body": ""}
        forms[entry["program"]] = {
            "typed": dict(values) if entry["program"] == editing else {name: current[name] for name in FIELDS},
            "problems": (problems or {}) if entry["program"] == editing else {},
        }
    return render_template("staff/agreements.html", agreement=agreement, programs=programs, forms=forms)
