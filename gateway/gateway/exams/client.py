"""The exams service's candidate side, as the gateway calls it: testing history and the
exam agreement, and the staff console's agreement versions (docs/rpc/exams.md;
vendor keys and senders are vendor/client.py's).

The only module that names these exams methods. Parameters mirror the service's,
keyword-only (gateway/tests/test_clients_match_services.py checks them), so a
renamed parameter fails loudly instead of landing in the wrong place.
"""
from __future__ import annotations

from functools import partial

from nameko.exceptions import RemoteError

from .. import rpc
from ..errors import refused, remote_detail  # noqa: F401 — callers use client.refused

_call = partial(rpc.call, "exams")


# -- the candidate's exams -----------------------------------------------------------------
def testing_history(*, candidate_id):
    return _call("testing_history", candidate_id=candidate_id)


def exam_agreement(*, candidate_id, program):
    return _call("exam_agreement", candidate_id=candidate_id, program=program)


def accept_exam_agreement(*, candidate_id, program, version):
    return _call("accept_exam_agreement", candidate_id=candidate_id, program=program, version=version)


# -- staff: exam agreements ----------------------------------------------------------------
def exam_agreement_versions(*, program=None):
    return _call("exam_agreement_versions", program=program)


def publish_exam_agreement(*, program, title, body, staff):
    return _call("publish_exam_agreement", program=program, title=title, body=body, staff=staff)


def current_version(error: RemoteError) -> int | None:
    """The current agreement version an `AgreementVersionNotCurrent` names."""
    version = remote_detail(error).get("current_version")
    return version if isinstance(version, int) else None
