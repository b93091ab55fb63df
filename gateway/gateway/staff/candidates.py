"""Candidates as staff see them: search, view, create, set CCIE/CCDE numbers."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..profile.pages import PROGRAMS  # the programs identity knows, by code
from ..profile import client as profiles
from . import blueprint
from .forms import problems_of

_NEW_FIELDS = ("program", "first_name", "last_name", "email")
_ATTRIBUTES = ("ccie_number", "ccde_number")
_LABELS = {"ccie_number": "CCIE number", "ccde_number": "CCDE number"}


@blueprint.get("/candidates")
def search():
    query = request.args.get("q", "").strip()
    found = profiles.staff_search_candidates(query=query) if query else None
    return render_template("staff/search.html", query=query, found=found)


@blueprint.route("/candidates/new", methods=["GET", "POST"])
def create():
    values = {name: request.form.get(name, "").strip() for name in _NEW_FIELDS}
    values["program"] = values["program"] or next(iter(PROGRAMS))
    if request.method == "GET":
        return _new_page(values, {}), 200
    problems = {name: "Required." for name in _NEW_FIELDS if not values[name]}
    if values["program"] not in PROGRAMS:
        problems["program"] = "Choose one of the programs."
    if problems:
        return _new_page(values, problems), 400
    try:
        created = profiles.staff_create_candidate(**values)
    except RemoteError as error:
        problems = problems_of(error)  # identity's own words: invalid or taken email, …
        if problems is None:
            raise
        return _new_page(values, problems), 400
    flash(f"Candidate {created['candidate_id']} created; a welcome email went to {created['email']}.", "success")
    return redirect(url_for("staff.candidate", candidate_id=created["candidate_id"]))


@blueprint.get("/candidates/<candidate_id>")
def candidate(candidate_id: str):
    return _candidate_page(profiles.staff_get_candidate(candidate_id=candidate_id), {}, None), 200


@blueprint.post("/candidates/<candidate_id>/attributes")
def set_attributes(candidate_id: str):
    """Set, change or remove the CCIE/CCDE numbers, saying plainly which.

    A number is removed only with its "Remove" box ticked; an emptied box
    without it is a mistake to point out, never a silent removal. Only what
    changed is sent: identity leaves a number it is not given (None) as it
    is, and clears one given as "".
    """
    profile = profiles.staff_get_candidate(candidate_id=candidate_id)
    typed = {name: request.form.get(name, "").strip() for name in _ATTRIBUTES}
    removing = {name for name in _ATTRIBUTES if request.form.get(f"remove_{name}")}
    changes, problems = _attribute_changes(profile, typed, removing)
    if problems:
        return _candidate_page(profile, problems, typed, removing), 400
    if not changes:
        flash("Nothing was changed.", "info")
        return redirect(url_for("staff.candidate", candidate_id=candidate_id))
    try:
        profiles.staff_set_attributes(candidate_id=candidate_id, **changes)
    except RemoteError as error:
        problems = problems_of(error)
        if problems is None:
            raise
        return _candidate_page(profile, problems, typed, removing), 400
    done = [f"{_LABELS[name]} removed" if value == "" else f"{_LABELS[name]} set to {value}"
            for name, value in changes.items()]
    flash("Saved: " + "; ".join(done) + ".", "success")
    return redirect(url_for("staff.candidate", candidate_id=candidate_id))


def _attribute_changes(profile: dict, typed: dict, removing: set) -> tuple[dict, dict]:
    """(changes for identity, problems by field) of the attributes form."""
    changes, problems = {}, {}
    for name in _ATTRIBUTES:
        current, value, label = profile.get(name) or "", typed[name], _LABELS[name]
        if name in removing:
            if value and value != current:
                problems[name] = f"Either type a new {label} or tick “Remove”, not both."
            elif current:
                changes[name] = ""
        elif not value:
            if current:
                problems[name] = (f"To remove the {label}, tick “Remove the {label}”. "
                                  f"To keep it, leave {current} in the box.")
        elif value != current:
            changes[name] = value
    return changes, problems


def _new_page(values: dict, problems: dict):
    return render_template(
        "staff/new_candidate.html", values=values, problems=problems, programs=PROGRAMS.items(),
    )


def _candidate_page(profile: dict, problems: dict, attributes: dict | None, removing: set = frozenset()):
    tickets = sorted(
        profiles.list_tickets(candidate_id=profile["candidate_id"]), key=lambda t: t["created_at"], reverse=True,
    )
    attributes = attributes or {name: profile.get(name) for name in _ATTRIBUTES}
    return render_template(
        "staff/candidate.html", profile=profile, tickets=tickets, attributes=attributes, problems=problems,
        removing=removing, labels=_LABELS,
    )
