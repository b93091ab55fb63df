"""The transcripts service as the gateway calls it: the candidate's transcripts and
their share mail (docs/rpc/transcripts.md).

The only module that names transcripts' methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from .. import rpc
from ..errors import field_errors, refused  # noqa: F401 — callers use client.refused, …

_call = partial(rpc.call, "transcripts")


# -- the candidate's transcripts -----------------------------------------------------------
def list_transcripts(*, candidate_id):
    return _call("list_transcripts", candidate_id=candidate_id)


def transcript_options(*, candidate_id):
    return _call("transcript_options", candidate_id=candidate_id)


def create_transcript(*, candidate_id, transcript):
    return _call("create_transcript", candidate_id=candidate_id, transcript=transcript)


def get_transcript(*, candidate_id, code):
    return _call("get_transcript", candidate_id=candidate_id, code=code)


def update_transcript(*, candidate_id, code, transcript):
    return _call("update_transcript", candidate_id=candidate_id, code=code, transcript=transcript)


def deactivate_transcript(*, candidate_id, code):
    return _call("deactivate_transcript", candidate_id=candidate_id, code=code)


def regenerate_access_code(*, candidate_id, code):
    return _call("regenerate_access_code", candidate_id=candidate_id, code=code)


def preview_share_mail(*, candidate_id, code, access_code, to, message=''):
    return _call("preview_share_mail", candidate_id=candidate_id, code=code, access_code=access_code, to=to,
                 message=message)


def send_share_mail(*, candidate_id, code, access_code, to, message=''):
    return _call("send_share_mail", candidate_id=candidate_id, code=code, access_code=access_code, to=to,
                 message=message)
