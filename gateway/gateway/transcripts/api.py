"""`/api/v1/me/transcripts`: the token's candidate's transcripts (CONTRACTS.md §5).

`POST` answers 201 with `code`, `access_code` and `url` (the link carrying
both codes): the only time the access code is given out, besides
`POST …/<code>/access-code`, which makes a new one and ends the old links.
"""
from __future__ import annotations

from flask import Blueprint
from pydantic import Field

from certtrack_shared.interfaces.transcripts import (
    RenderedMail,
    ShareMailRequest,
    TranscriptList,
    TranscriptRequest,
    TranscriptSummary,
)

from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from . import client
from .links import verification_link

blueprint = Blueprint("transcripts_api", __name__, url_prefix="/api/v1/me/transcripts")

TAGS = ("transcripts",)


class CreatedTranscript(TranscriptSummary):
    access_code: str = Field(description="Shown only now; only its hash is kept.")
    url: str = Field(description="`<site>/verify/<code>?access_code=<access_code>`: opens the transcript directly.")


def _with_access_code(reply: dict) -> dict:
    transcript = reply["transcript"]
    return {**transcript, "access_code": reply["access_code"],
            "url": verification_link(transcript["code"], reply["access_code"])}


@blueprint.post("")
@bearer_required
@api_operation(request=TranscriptRequest, response=CreatedTranscript, status=201, tags=TAGS,
               summary="Create a transcript; the reply is the only time its access code is given out.")
def create_transcript(candidate: AccessToken, body: TranscriptRequest):
    return _with_access_code(client.create_transcript(candidate_id=candidate.candidate_id,
                                                      transcript=body.model_dump(mode="json")))


@blueprint.get("")
@bearer_required
@api_operation(response=TranscriptList, tags=TAGS, summary="The candidate's transcripts with views and last viewed.")
def list_transcripts(candidate: AccessToken):
    return client.list_transcripts(candidate_id=candidate.candidate_id)


@blueprint.get("/<code>")
@bearer_required
@api_operation(response=TranscriptSummary, tags=TAGS, summary="One of the candidate's transcripts.")
def get_transcript(candidate: AccessToken, code: str):
    return client.get_transcript(candidate_id=candidate.candidate_id, code=code)


@blueprint.put("/<code>")
@bearer_required
@api_operation(request=TranscriptRequest, response=TranscriptSummary, tags=TAGS,
               summary="Replace a transcript's description, expiry, display options and remarks "
                       "(links shared keep working); 410 `transcript_inactive` for a deactivated one.")
def update_transcript(candidate: AccessToken, code: str, body: TranscriptRequest):
    return client.update_transcript(candidate_id=candidate.candidate_id, code=code,
                                    transcript=body.model_dump(mode="json"))


@blueprint.post("/<code>/deactivate")
@bearer_required
@api_operation(response=TranscriptSummary, tags=TAGS,
               summary="Deactivate a transcript for good: its link then shows nothing.")
def deactivate_transcript(candidate: AccessToken, code: str):
    return client.deactivate_transcript(candidate_id=candidate.candidate_id, code=code)


@blueprint.post("/<code>/access-code")
@bearer_required
@api_operation(response=CreatedTranscript, tags=TAGS,
               summary="Make a new access code (shown only now); links with the old one stop working.")
def regenerate_access_code(candidate: AccessToken, code: str):
    return _with_access_code(client.regenerate_access_code(candidate_id=candidate.candidate_id, code=code))


@blueprint.post("/<code>/mail/preview")
@bearer_required
@api_operation(request=ShareMailRequest, response=RenderedMail, tags=TAGS,
               summary="The mail that would share the transcript (subject, text, HTML); sends nothing.")
def preview_share_mail(candidate: AccessToken, code: str, body: ShareMailRequest):
    return client.preview_share_mail(candidate_id=candidate.candidate_id, code=code,
                                     access_code=body.access_code, to=str(body.to), message=body.message)


@blueprint.post("/<code>/mail")
@bearer_required
@api_operation(request=ShareMailRequest, response=RenderedMail, status=202, tags=TAGS,
               summary="Mail the transcript's link to a third party (at most 20 a day).")
def send_share_mail(candidate: AccessToken, code: str, body: ShareMailRequest):
    return client.send_share_mail(candidate_id=candidate.candidate_id, code=code,
                                  access_code=body.access_code, to=str(body.to), message=body.message)
