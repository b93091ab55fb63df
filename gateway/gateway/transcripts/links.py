"""The verification link a candidate shares, and the social share URLs.

The link carries both codes, `<site>/verify/<code>?access_code=<access code>`,
so a click opens the transcript at once (decision 0006: a query parameter
rather than a fragment, because the page works without JavaScript and the
API takes the same parameter; the gateway's access log records paths only
and every page sends `Referrer-Policy: same-origin`, so the access code is
neither logged nor leaked to other sites).

Share URLs are the networks' documented share endpoints, the link URL-encoded:
LinkedIn `share-offsite/?url=`, Facebook `sharer.php?u=`, X `intent/tweet?url=&text=`.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import current_app


def verification_link(code: str, access_code: str | None = None) -> str:
    site = str(current_app.config["SITE_URL"]).rstrip("/")
    link = f"{site}/verify/{quote(code, safe='')}"
    return f"{link}?{urlencode({'access_code': access_code})}" if access_code else link


def share_urls(link: str, text: str) -> dict[str, str]:
    return {
        "linkedin": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": link}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": link}),
        "x": "https://twitter.com/intent/tweet?" + urlencode({"url": link, "text": text}),
    }
