"""Personal Info (`/personal-info/…`) and the logged-in candidate's Home.

Every view works on the candidate of the session, never on an ID from the
URL or the form; identity checks again that an identity or ticket is that
candidate's own.
"""
from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from ..auth.session import (
    credentials_changed_here,
    current_candidate_id,
    log_out,
    login_required,
    recently_logged_in,
    refresh_shown,
)
from ..errors import problem_for, render_error
from . import client
from .forms import (
    LANGUAGES,
    AttributesForm,
    NameChangeForm,
    PasswordChangeForm,
    ReauthenticateForm,
    SettingsForm,
    countries,
)

blueprint = Blueprint("profile", __name__, url_prefix="/personal-info")

INVALID_FORM = 422
PROGRAMS = {"cisco": "Cisco", "juniper": "Juniper Networks"}


class SessionEnded(Exception):
    """The session's candidate is gone."""


def load_profile() -> dict:
    """identity's profile of the logged-in candidate; SessionEnded when the session is stale."""
    try:
        profile = client.get_profile(candidate_id=current_candidate_id())
    except RemoteError as error:
        if client.refused(error, "CandidateNotFound"):
            raise SessionEnded() from None
        raise
    refresh_shown(profile)
    return profile


@blueprint.errorhandler(SessionEnded)
def session_ended(_error):
    log_out()
    flash("Your session has ended. Please log in again.", "info")
    return redirect(url_for("auth.login"))


@blueprint.app_template_filter("program_name")
def program_name(code: str | None) -> str:
    return PROGRAMS.get(code or "", (code or "").title())


@blueprint.app_template_filter("country_name")
def country_name(code: str | None) -> str:
    return dict(countries()).get(code or "", code or "")


@blueprint.app_template_filter("language_name")
def language_name(code: str | None) -> str:
    return dict(LANGUAGES).get(code or "", code or "")


# -- Home ---------------------------------------------------------------------------
def candidate_home():
    """The home page of a logged-in candidate (site.home shows it)."""
    try:
        profile = load_profile()
    except SessionEnded:
        return session_ended(None)
    return render_template("profile/home.html", profile=profile)


# -- Settings -----------------------------------------------------------------------
@blueprint.route("", methods=["GET", "POST"])
@login_required
def settings():
    profile = load_profile()
    form = SettingsForm()
    problems: list[str] = []
    if request.method == "GET":
        form.fill(profile)
    elif form.validate():
        changes = form.changes_from(profile)
        if not changes:
            flash("Nothing was changed.", "info")
            return redirect(url_for("profile.settings"))
        try:
            updated = _update(changes, form.current_password.data if "email" in changes else None)
        except RemoteError as error:
            problems = _place_errors(form, error, email_field="email")
        else:
            flash("Your personal information is saved.", "success")
            if "email" in changes and updated.get("pending_email"):
                flash(
                    f"Confirm your new email address via the link we sent to {updated['pending_email']}. "
                    f"Until you do, we keep using {updated['email']}.",
                    "info",
                )
            return redirect(url_for("profile.settings"))
    status = INVALID_FORM if request.method == "POST" else 200
    return render_template("profile/settings.html", tab="settings", profile=profile, form=form, problems=problems), status


# -- Identification -------------------------------------------------------------------
@blueprint.get("/identification")
@login_required
def identification():
    profile = load_profile()
    return _identification(profile, ReauthenticateForm())


def _identification(profile: dict, form: ReauthenticateForm, status: int = 200):
    page = render_template("profile/identification.html", tab="identification", profile=profile,
                           form=form, recent_login=recently_logged_in(),
                           sso_enabled=bool(current_app.config.get("OIDC_ISSUER")))
    return page, status


@blueprint.post("/identification/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int):
    profile = load_profile()
    form = ReauthenticateForm()
    if not form.validate():
        return redirect(url_for("profile.identification"))
    try:
        updated = client.unlink_external_identity(candidate_id=current_candidate_id(),
                                                  identity_id=identity_id, **_proof(form.current_password.data))
    except RemoteError as error:
        if client.refused(error, "ReauthenticationRequired"):
            form.current_password.errors = [client.field_errors(error).get("current_password", "")]
            return _identification(profile, form, INVALID_FORM)
        if not client.refused(error, "CannotUnlinkLastLogin"):
            raise  # NotFound (not this candidate's) becomes a 404 page
        flash(problem_for(error).message, "error")
    else:
        credentials_changed_here(updated)
        flash("The single sign-on account is disconnected. It no longer logs you in, and your "
              "other sessions were logged out.", "success")
    return redirect(url_for("profile.identification"))


# -- Password ------------------------------------------------------------------------
@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    profile = load_profile()
    form = PasswordChangeForm()
    status = 200
    if request.method == "POST":
        status = INVALID_FORM
        if form.validate():
            try:
                changed = client.change_password(candidate_id=current_candidate_id(),
                                                 new_password=form.new_password.data,
                                                 **_proof(form.current_password.data))
            except RemoteError as error:
                if not client.refused(error, "ReauthenticationRequired", "WeakPassword"):
                    raise
                for name, message in client.field_errors(error).items():
                    field = form.new_password if name == "password" else getattr(form, name, None)
                    if field is not None:
                        field.errors = [message]
            else:
                credentials_changed_here(changed)
                flash("Your password is changed. Your other sessions were logged out.", "success")
                return redirect(url_for("profile.identification"))
    page = render_template("profile/password.html", tab="identification", profile=profile, form=form,
                           recent_login=recently_logged_in())
    return page, status


def _proof(current_password: str | None) -> dict:
    """What identity needs to let the candidate change a credential (decision 0018)."""
    return {"current_password": current_password or None, "recently_logged_in": recently_logged_in(),
            "client_address": request.remote_addr or ""}


# -- Attributes -----------------------------------------------------------------------
@blueprint.route("/attributes", methods=["GET", "POST"])
@login_required
def attributes():
    profile = load_profile()
    form = AttributesForm()
    problems: list[str] = []
    if request.method == "GET":
        form.fill(profile)
    elif form.validate():
        changes = form.changes_from(profile)
        if not changes:
            flash("Nothing was changed.", "info")
            return redirect(url_for("profile.attributes"))
        try:
            _update(changes)
        except RemoteError as error:
            problems = _place_errors(form, error)
        else:
            flash("Your attributes are saved.", "success")
            return redirect(url_for("profile.attributes"))
    status = INVALID_FORM if request.method == "POST" else 200
    return render_template("profile/attributes.html", tab="attributes", profile=profile, form=form, problems=problems), status


# -- Name change ------------------------------------------------------------------------
@blueprint.url_value_preprocessor
def _allow_document_uploads(endpoint, _values):
    # Runs before any before_request (the CSRF check reads the form), so the
    # larger limit applies when the multipart body is parsed.
    if endpoint == "profile.name_change":
        request.max_content_length = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"]


@blueprint.errorhandler(RequestEntityTooLarge)
def document_too_large(error):
    if request.endpoint != "profile.name_change":
        return render_error(error)
    flash("That file is too large: the document must be at most 5 MiB.", "error")
    return redirect(url_for("profile.name_change"), 303)


@blueprint.route("/name-change", methods=["GET", "POST"])
@login_required
def name_change():
    profile = load_profile()
    form = NameChangeForm()
    problems: list[str] = []
    if request.method == "POST" and form.validate():
        upload = form.document.data
        document = {
            "filename": secure_filename(upload.filename or "") or "document",
            "data_b64": base64.b64encode(upload.read()).decode("ascii"),
        }
        try:
            ticket = client.open_name_change_ticket(candidate_id=current_candidate_id(),
                first_name=form.first_name.data, last_name=form.last_name.data,
                reason=form.reason.data, document=document,
            )
        except RemoteError as error:
            problems = _place_errors(form, error, email_field=None)
        else:
            flash(
                f"Your name-change request (ticket {ticket['id']}) is with our support team. "
                "We email you when it is decided.",
                "success",
            )
            return redirect(url_for("profile.name_change"))
    tickets = client.list_tickets(candidate_id=current_candidate_id())
    status = INVALID_FORM if request.method == "POST" else 200
    return render_template(
        "profile/name_change.html", tab="name_change", profile=profile, form=form, problems=problems,
        tickets=sorted(tickets, key=lambda ticket: ticket.get("created_at") or "", reverse=True),
    ), status


# -- helpers ------------------------------------------------------------------------------
def _update(changes: dict, current_password: str | None = None) -> dict:
    return client.update_profile(candidate_id=current_candidate_id(), changes=changes,
                                 **_proof(current_password))


def _place_errors(form, error: RemoteError, email_field: str | None = "email") -> list[str]:
    """Put identity's field messages next to their fields; return the ones no field shows.

    Re-raises anything that is not about the form's values.
    """
    if not client.refused(error, "InvalidProfile", "EmailTaken", "InvalidDocument",
                            "ReauthenticationRequired"):
        raise error
    fields = client.field_errors(error)
    if not fields:
        fields = {email_field or "": problem_for(error).message}
    unplaced = []
    for name, message in fields.items():
        field = getattr(form, name.rsplit(".", 1)[-1], None) if name else None
        if field is not None and hasattr(field, "errors") and name.rsplit(".", 1)[-1] != "csrf_token":
            field.errors = [*list(field.errors or []), message]
        else:
            unplaced.append(message)
    return unplaced
