"""The candidate site's login pages: log in and out, first-time login,
password reset, forgotten candidate ID and email confirmation.

Pages that mail something answer the same whatever was entered (after
checking its format), so they never tell whether an address is known.
Mailed links show a form first and act only on its POST: mail scanners
that open links must not use them up.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from nameko.exceptions import RemoteError

from ..errors import problem_for, retry_after, try_again_in
from . import client
from .forms import ConfirmForm, EmailForm, ForgotPasswordForm, LoginForm, ScoreReportForm, SetPasswordForm
from .session import (
    credentials_changed_here,
    current_candidate,
    log_in,
    log_out,
    pending_external_identity,
    safe_next,
)

blueprint = Blueprint("auth", __name__)

INVALID_FORM = 422


# -- logging in and out ----------------------------------------------------------
@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = safe_next(request.args.get("next"))
    if current_candidate() is not None:
        return redirect(target)
    form = LoginForm()
    problem, status, headers = None, 200, {}
    if request.method == "POST":
        status = INVALID_FORM
        if form.validate():
            try:
                candidate = client.authenticate(login=form.login.data, password=form.password.data,
                    client_address=request.remote_addr or "",
                )
            except RemoteError as error:
                if not client.refused(error, "InvalidCredentials", "TooManyAttempts"):
                    raise
                problem, status = _login_refusal(error)
                headers = retry_after(error)
            else:
                return _logged_in(candidate, target)
    next_value = request.args.get("next") if target == request.args.get("next") else None
    page = render_template("auth/login.html", form=form, problem=problem, next=next_value,
                           pending=pending_external_identity())
    return page, status, headers


def _logged_in(candidate: dict, target: str, welcome: str | None = None):
    """Log the candidate in; a single sign-on account this browser brought waits
    for the candidate to confirm connecting it (decision 0018)."""
    log_in(candidate, keep_pending=True)  # a new session: flash only after it
    if welcome:
        flash(welcome, "success")
    if pending_external_identity() is not None:
        return redirect(url_for("sso.connect"))
    return redirect(target)


def _login_refusal(error: RemoteError) -> tuple[str, int]:
    refusal = problem_for(error)
    if client.refused(error, "TooManyAttempts"):
        return try_again_in("Too many failed login attempts.", error), refusal.status
    return refusal.message, refusal.status


@blueprint.post("/logout")
def logout():
    log_out()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


# -- first-time login --------------------------------------------------------------
@blueprint.route("/first-time", methods=["GET", "POST"])
def first_time():
    pending = pending_external_identity()
    form = EmailForm()
    if request.method == "GET" and pending and pending.get("email"):
        form.email.data = pending["email"]
    if request.method == "POST":
        if form.validate():
            client.start_first_time_by_email(email=form.email.data)
            return redirect(url_for("auth.first_time_sent"))
        return render_template("auth/first_time.html", form=form, pending=pending), INVALID_FORM
    return render_template("auth/first_time.html", form=form, pending=pending)


@blueprint.get("/first-time/email-sent")
def first_time_sent():
    return render_template("auth/sent.html", kind="first_time")


@blueprint.route("/first-time/score-report", methods=["GET", "POST"])
def score_report():
    pending = pending_external_identity()
    form = ScoreReportForm()
    problem, status, headers = None, 200, {}
    if request.method == "POST":
        status = INVALID_FORM
        if form.validate():
            try:
                answer = client.start_first_time_by_score_report(last_name=form.last_name.data,
                    registration_number=form.registration_number.data,
                    new_email=form.new_email.data,
                    client_address=request.remote_addr or "",
                )
            except RemoteError as error:
                if client.refused(error, "EmailBelongsToAnotherCandidate"):
                    return render_template("auth/email_in_use.html", email=form.new_email.data), 409
                if client.refused(error, "InvalidProfile"):
                    for name, message in client.field_errors(error).items():
                        field = getattr(form, name, None)
                        if field is not None and name != "csrf_token":
                            field.errors = [message]
                        else:
                            problem = message
                elif client.refused(error, "ScoreReportNotMatched"):
                    problem = problem_for(error).message
                elif client.refused(error, "TooManyAttempts"):
                    problem = try_again_in("Too many tries that matched no score report.", error)
                    status, headers = problem_for(error).status, retry_after(error)
                else:
                    raise
            else:
                return render_template("auth/score_report_sent.html", sent_to=answer.get("sent_to"))
    page = render_template("auth/score_report.html", form=form, problem=problem, pending=pending)
    return page, status, headers


@blueprint.route("/first-time/<token>", methods=["GET", "POST"])
def set_first_password(token: str):
    return _set_password(token, client.FIRST_TIME, client.complete_first_time)


# -- forgotten password or candidate ID ---------------------------------------------
@blueprint.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if request.method == "POST":
        if form.validate():
            client.request_password_reset(login=form.login.data)
            return redirect(url_for("auth.forgot_password_sent"))
        return render_template("auth/forgot_password.html", form=form), INVALID_FORM
    return render_template("auth/forgot_password.html", form=form)


@blueprint.get("/forgot-password/sent")
def forgot_password_sent():
    return render_template("auth/sent.html", kind="password_reset")


@blueprint.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _set_password(token, client.PASSWORD_RESET, client.reset_password)


@blueprint.route("/forgot-candidate-id", methods=["GET", "POST"])
def forgot_candidate_id():
    form = EmailForm()
    if request.method == "POST":
        if form.validate():
            client.remind_candidate_id(email=form.email.data)
            return redirect(url_for("auth.forgot_candidate_id_sent"))
        return render_template("auth/forgot_candidate_id.html", form=form), INVALID_FORM
    return render_template("auth/forgot_candidate_id.html", form=form)


@blueprint.get("/forgot-candidate-id/sent")
def forgot_candidate_id_sent():
    return render_template("auth/sent.html", kind="candidate_id")


# -- a mailed link that sets the password ---------------------------------------------
def _set_password(token: str, purpose: str, complete):
    link = client.inspect_link_token(token=token, purpose=purpose)
    if not link.get("valid"):
        return _link_invalid(purpose, link.get("reason"))
    form = SetPasswordForm()
    if request.method == "POST":
        if form.validate():
            try:
                candidate = complete(token=token, password=form.password.data)
            except RemoteError as error:
                if client.refused(error, "LinkTokenInvalid"):
                    return _link_invalid(purpose, client.link_token_reason(error))
                if not client.refused(error, "WeakPassword"):
                    raise
                form.password.errors = [
                    client.field_errors(error).get("password") or problem_for(error).message
                ]
            else:
                return _logged_in(candidate, url_for("site.home"), _welcome(purpose, candidate))
        return render_template("auth/set_password.html", form=form, link=link, purpose=purpose), INVALID_FORM
    return render_template("auth/set_password.html", form=form, link=link, purpose=purpose)


def _welcome(purpose: str, candidate: dict) -> str:
    if purpose == client.PASSWORD_RESET:
        return "Your password has been changed and you are logged in."
    return (
        f"Your password is set and the mapping to your candidate record {candidate['candidate_id']} "
        "is complete. Next time, log in with your candidate ID or email address and this password."
    )


def _link_invalid(purpose: str, reason: str | None):
    forms = {
        client.FIRST_TIME: (EmailForm, "auth.first_time"),
        client.PASSWORD_RESET: (ForgotPasswordForm, "auth.forgot_password"),
    }
    form, action = None, None
    if purpose in forms:
        form_class, action = forms[purpose]
        form = form_class(formdata=None)
    return render_template(
        "auth/link_invalid.html", purpose=purpose, reason=reason or "unknown", form=form, action=action,
    ), 410


# -- confirming a new email address -----------------------------------------------------
@blueprint.route("/confirm-email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    link = client.inspect_link_token(token=token, purpose=client.EMAIL_CONFIRMATION)
    if not link.get("valid"):
        return _link_invalid(client.EMAIL_CONFIRMATION, link.get("reason"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        try:
            profile = client.confirm_email(token=token)
        except RemoteError as error:
            if client.refused(error, "EmailTaken"):
                # Another record took the address since the link was sent; nothing changed.
                return render_template("auth/confirm_email.html", form=form, link=link, taken=True), 409
            if not client.refused(error, "LinkTokenInvalid"):
                raise
            return _link_invalid(client.EMAIL_CONFIRMATION, client.link_token_reason(error))
        flash(f"Your email address is confirmed: it is now {profile['email']}.", "success")
        # The email is a credential: every other session of the candidate ends, this one
        # stays if it is theirs (a session of someone else, in this browser, ends too).
        credentials_changed_here(profile)
        candidate = current_candidate()
        if candidate is not None and candidate["candidate_id"] == profile["candidate_id"]:
            return redirect(url_for("profile.settings"))
        return redirect(url_for("auth.login"))
    return render_template("auth/confirm_email.html", form=form, link=link)


# -- help ----------------------------------------------------------------------------------
@blueprint.get("/support")
def support():
    return render_template("auth/support.html", support_email=current_app.config["SUPPORT_EMAIL"])
