"""`/api/v1/me/transcripts`: the token's candidate's transcripts (CONTRACTS.md §5).

`POST` answers 201 with `code`, `access_code` and `url` (the link carrying
both codes): the only time the access code is given out, besides
`POST …/<code>/access-code`, which makes a new one and ends the old links.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Optional, Union

from flask import Blueprint
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ..auth.tokens import AccessToken, bearer_required
from ..openapi import api_operation
from . import client
from .links import verification_link

blueprint = Blueprint("transcripts_api", __name__, url_prefix="/api/v1/me/transcripts")

TAGS = ("transcripts",)


class Display(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certifications: Union[Literal["all_active"], Annotated[list[str], Field(min_length=1, max_length=50)]] = Field(
        description='"all_active", or catalog ids of certifications the candidate holds or held (exactly those are shown).')
    include_expired: bool = Field(default=False, description="Also show expired and revoked certifications, with that status.")
    include_exams: bool = Field(default=False, description="Show the passed exams.")
    show_email: bool = Field(default=False, description="Show the candidate's email address.")


class NewTranscript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    valid_through: date = Field(description="The last day the transcript can be viewed (today to five years ahead).")
    display: Display
    remarks: Annotated[str, StringConstraints(max_length=2000)] = Field(
        default="", description="The candidate's own note; never shown to the third party.")


class Transcript(BaseModel):
    code: str = Field(description="The public code, in the verification URL.")
    description: str
    valid_through: date
    display: Display
    remarks: str
    state: Literal["active", "expired", "deactivated"]
    created_at: datetime
    updated_at: datetime
    deactivated_at: Optional[datetime]
    views: int = Field(description="Successful verifications so far.")
    last_viewed_at: Optional[datetime]


class TranscriptList(BaseModel):
    items: list[Transcript] = Field(description="Newest first.")


class CreatedTranscript(Transcript):
    access_code: str = Field(description="Shown only now; only its hash is kept.")
    url: str = Field(description="`<site>/verify/<code>?access_code=<access_code>`: opens the transcript directly.")


class ShareMail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_code: str = Field(max_length=64, description="The transcript's access code (the link carries it).")
    to: EmailStr
    message: Annotated[str, StringConstraints(max_length=2000)] = ""


class RenderedMail(BaseModel):
    to: list[str]
    subject: str
    text: str
    html: str


def _with_access_code(reply: dict) -> dict:
    transcript = reply["transcript"]
    return {**transcript, "access_code": reply["access_code"],
            "url": verification_link(transcript["code"], reply["access_code"])}


@blueprint.post("")
@bearer_required
@api_operation(request=NewTranscript, response=CreatedTranscript, status=201, tags=TAGS,
               summary="Create a transcript; the reply is the only time its access code is given out.")
def create_transcript(candidate: AccessToken, body: NewTranscript):
    return _with_access_code(client.create_transcript(candidate_id=candidate.candidate_id,
                                                      transcript=body.model_dump(mode="json")))


@blueprint.get("")
@bearer_required
@api_operation(response=TranscriptList, tags=TAGS, summary="The candidate's transcripts with views and last viewed.")
def list_transcripts(candidate: AccessToken):
    return client.list_transcripts(candidate_id=candidate.candidate_id)


@blueprint.get("/<code>")
@bearer_required
@api_operation(response=Transcript, tags=TAGS, summary="One of the candidate's transcripts.")
def get_transcript(candidate: AccessToken, code: str):
    return client.get_transcript(candidate_id=candidate.candidate_id, code=code)


@blueprint.put("/<code>")
@bearer_required
@api_operation(request=NewTranscript, response=Transcript, tags=TAGS,
               summary="Replace a transcript's description, expiry, display options and remarks "
                       "(links shared keep working); 410 `transcript_inactive` for a deactivated one.")
def update_transcript(candidate: AccessToken, code: str, body: NewTranscript):
    return client.update_transcript(candidate_id=candidate.candidate_id, code=code,
                                    transcript=body.model_dump(mode="json"))


@blueprint.post("/<code>/deactivate")
@bearer_required
@api_operation(response=Transcript, tags=TAGS,
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
@api_operation(request=ShareMail, response=RenderedMail, tags=TAGS,
               summary="The mail that would share the transcript (subject, text, HTML); sends nothing.")
def preview_share_mail(candidate: AccessToken, code: str, body: ShareMail):
    return client.preview_share_mail(candidate_id=candidate.candidate_id, code=code,
                                     access_code=body.access_code, to=str(body.to), message=body.message)


@blueprint.post("/<code>/mail")
@bearer_required
@api_operation(request=ShareMail, response=RenderedMail, status=202, tags=TAGS,
               summary="Mail the transcript's link to a third party (at most 20 a day).")
def send_share_mail(candidate: AccessToken, code: str, body: ShareMail):
    return client.send_share_mail(candidate_id=candidate.candidate_id, code=code,
                                  access_code=body.access_code, to=str(body.to), message=body.message)
