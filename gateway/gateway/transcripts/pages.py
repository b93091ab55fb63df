"""The Transcripts tab (`/transcripts`): list, create, edit, deactivate, share.

The access code is given out only when a transcript is created or its code
regenerated (the service keeps only its hash). To show it on the share page
after the redirect, it rides in the candidate's own session for exactly one
request (`_hand_over` / `_take_over`); from there the share page's forms
carry it back in a hidden field. A candidate who comes back later types it
(from the link they kept) or generates a new one, which ends older links.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from nameko.exceptions import RemoteError

from ..auth.forms import ConfirmForm
from ..auth.session import current_candidate, current_candidate_id, login_required
from . import client
from .forms import ShareMailForm, TranscriptForm
from .links import share_urls, verification_link

blueprint = Blueprint("transcripts", __name__, url_prefix="/transcripts")

INVALID_FORM = 422
_FRESH = "transcript_access_code"  # session key: {"code": …, "access_code": …}, one request long
_FORM_FIELDS = {"description": "description", "valid_through": "valid_through",
                "display.certifications": "certifications", "remarks": "remarks"}


@blueprint.get("")
@login_required
def index():
    transcripts = client.list_transcripts(candidate_id=current_candidate_id())["items"]
    options = client.transcript_options(candidate_id=current_candidate_id())["certifications"]
    names = {option["id"]: option["name"] for option in options}
    return render_template("transcripts/list.html", transcripts=transcripts, names=names, form=ConfirmForm())


@blueprint.route("/new", methods=["GET", "POST"])
@login_required
def create():
    form = _transcript_form()
    if request.method == "POST" and form.validate():
        try:
            created = client.create_transcript(candidate_id=current_candidate_id(),
                                               transcript=form.to_request())
        except RemoteError as error:
            if not _show_field_errors(form, error):
                raise
        else:
            code = created["transcript"]["code"]
            _hand_over(code, created["access_code"])
            flash("Your transcript is ready. Share it now: for your security its access code "
                  "is shown only this once.", "success")
            return redirect(url_for("transcripts.share", code=code), 303)
    status = INVALID_FORM if request.method == "POST" else 200
    return render_template("transcripts/form.html", form=form, transcript=None), status


@blueprint.route("/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code):
    transcript = client.get_transcript(candidate_id=current_candidate_id(), code=code)
    if request.method == "GET":
        form = _transcript_form(TranscriptForm.from_summary(transcript))
    else:
        form = _transcript_form()
        if form.validate():
            try:
                client.update_transcript(candidate_id=current_candidate_id(), code=code,
                                         transcript=form.to_request())
            except RemoteError as error:
                if not _show_field_errors(form, error):
                    raise
            else:
                flash(f"“{form.description.data}” was updated. Links you shared still work.", "success")
                return redirect(url_for("transcripts.index"), 303)
    status = INVALID_FORM if request.method == "POST" else 200
    return render_template("transcripts/form.html", form=form, transcript=transcript), status


@blueprint.post("/<code>/deactivate")
@login_required
def deactivate(code):
    transcript = client.deactivate_transcript(candidate_id=current_candidate_id(), code=code)
    flash(f"“{transcript['description']}” is deactivated: its link now shows nothing.", "success")
    return redirect(url_for("transcripts.index"), 303)


@blueprint.post("/<code>/access-code")
@login_required
def regenerate(code):
    renewed = client.regenerate_access_code(candidate_id=current_candidate_id(), code=code)
    _hand_over(code, renewed["access_code"])
    flash("A new access code was made; links you shared before no longer open the transcript.", "success")
    return redirect(url_for("transcripts.share", code=code), 303)


@blueprint.route("/<code>/share", methods=["GET", "POST"])
@login_required
def share(code):
    transcript = client.get_transcript(candidate_id=current_candidate_id(), code=code)
    if transcript["state"] != "active":
        flash(f"“{transcript['description']}” is {transcript['state']}: there is nothing to share. "
              "Edit it to extend an expired transcript, or create a new one.", "info")
        return redirect(url_for("transcripts.index"), 303)
    if request.method == "GET":
        access_code = _take_over(code)
        form = ShareMailForm(data={"access_code": access_code or ""})
        return _share_page(transcript, form, access_code)

    form = ShareMailForm()
    if not form.validate():
        return _share_page(transcript, form, None), INVALID_FORM
    arguments = dict(candidate_id=current_candidate_id(), code=code, access_code=form.access_code.data,
                     to=form.to.data, message=form.message.data or "")
    try:
        if form.action.data == "send":
            client.send_share_mail(**arguments)
        else:
            preview = client.preview_share_mail(**arguments)
    except RemoteError as error:
        if not client.refused(error, "InvalidTranscript"):
            raise
        for name, message in client.field_errors(error).items():
            getattr(form, name if name in ("access_code", "to", "message") else "to").errors = [message]
        return _share_page(transcript, form, None), INVALID_FORM
    if form.action.data == "send":
        flash(f"The transcript was sent to {form.to.data}.", "success")
        return redirect(url_for("transcripts.index"), 303)
    # The access code proved right: the page can show the link and the share buttons too.
    return _share_page(transcript, form, form.access_code.data, preview=preview)


# -- helpers --------------------------------------------------------------------------------
def _transcript_form(form: TranscriptForm | None = None) -> TranscriptForm:
    form = form or TranscriptForm()
    options = client.transcript_options(candidate_id=current_candidate_id())
    form.set_options(options["certifications"])
    form.shown_name = options["name"]
    return form


def _show_field_errors(form: TranscriptForm, error: RemoteError) -> bool:
    if not client.refused(error, "InvalidTranscript"):
        return False
    for name, message in client.field_errors(error).items():
        getattr(form, _FORM_FIELDS.get(name, "description")).errors = [message]
    return True


def _share_page(transcript: dict, form: ShareMailForm, access_code: str | None, preview: dict | None = None):
    link = verification_link(transcript["code"], access_code) if access_code else None
    candidate = current_candidate() or {}
    text = f"My verified certifications ({candidate.get('first_name', '')} {candidate.get('last_name', '')})".replace(" )", ")")
    return render_template(
        "transcripts/share.html", transcript=transcript, form=form, access_code=access_code, link=link,
        shares=share_urls(link, text) if link else None, preview=preview, confirm=ConfirmForm(),
    )


def _hand_over(code: str, access_code: str) -> None:
    session[_FRESH] = {"code": code, "access_code": access_code}


def _take_over(code: str) -> str | None:
    fresh = session.pop(_FRESH, None)
    if isinstance(fresh, dict) and fresh.get("code") == code:
        return fresh.get("access_code")
    return None
