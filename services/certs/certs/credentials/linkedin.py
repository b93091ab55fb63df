"""LinkedIn's "Add to profile" link for a certification.

LinkedIn documents the link (https://addtoprofile.linkedin.com): a GET of
`https://www.linkedin.com/profile/add` with `startTask=CERTIFICATION_NAME`
opens the member's "Add license or certification" form filled with the
name, the issuing organization, issue and expiration year and month, the
credential URL and the credential ID. Nothing is sent to LinkedIn by
CertTrack; the candidate's browser follows the link.
"""
from __future__ import annotations

from datetime import date
from typing import Optional
from urllib.parse import urlencode

ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def add_to_profile(*, name: str, organization: str, issued_on: date, valid_through: Optional[date],
                   verification_url: str, credential_id: str, organization_id: Optional[str] = None) -> str:
    """The link. `valid_through` is the last day the certification is valid (None: never
    expires); `organization_id`, LinkedIn's company id, links the company page when known."""
    parameters = {"startTask": "CERTIFICATION_NAME", "name": name}
    if organization_id:
        parameters["organizationId"] = organization_id
    else:
        parameters["organizationName"] = organization
    parameters |= {"issueYear": str(issued_on.year), "issueMonth": str(issued_on.month)}
    if valid_through is not None:
        parameters |= {"expirationYear": str(valid_through.year), "expirationMonth": str(valid_through.month)}
    parameters |= {"certUrl": verification_url, "certId": credential_id}
    return f"{ADD_TO_PROFILE}?{urlencode(parameters)}"
