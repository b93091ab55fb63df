"""Baked badges (Open Badges 3.0 §5.3): the signed credential inside the badge image.

PNG: an `iTXt` chunk with keyword `openbadgecredential`, uncompressed, holding
the compact JWS, placed before `IEND`. SVG: an `<openbadges:credential>`
element (namespace `https://purl.imsglobal.org/ob/v3p0`) whose `verify`
attribute holds the JWS, first child of the root `<svg>`.

Extraction reads what the public uploads to the verification page, so it
never decodes pixels, never inflates compressed text past a small cap, and
parses SVG with defusedxml (no entities, no external references).
"""
from __future__ import annotations

import struct
import zlib
from typing import Iterator
from xml.etree.ElementTree import Element, register_namespace, tostring

from defusedxml import ElementTree as SafeXml
from defusedxml.common import DefusedXmlException

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
OB_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
# A credential is a few KiB; an image that claims more text than this is hostile.
MAX_TEXT_BYTES = 64 * 1024
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class NotABadge(ValueError):
    """The bytes are not a PNG or SVG, or carry no credential."""


# -- PNG ------------------------------------------------------------------------------
def _chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    if not data.startswith(PNG_SIGNATURE):
        raise NotABadge("not a PNG image")
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if len(body) != length or position + 12 + length > len(data):
            raise NotABadge("the PNG is cut short")
        yield kind, body
        position += 12 + length
        if kind == b"IEND":
            return
    raise NotABadge("the PNG has no end (IEND)")


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _is_credential(kind: bytes, body: bytes) -> bool:
    return kind == b"iTXt" and body.startswith(PNG_KEYWORD + b"\0")


def bake_png(image: bytes, token: str) -> bytes:
    """The PNG with the credential in it, replacing any credential baked before."""
    # keyword NUL, compression flag 0, method 0, empty language NUL, empty translated keyword NUL, text.
    text = _chunk(b"iTXt", PNG_KEYWORD + b"\0\0\0\0\0" + token.encode())
    parts = [PNG_SIGNATURE]
    for kind, body in _chunks(image):
        if _is_credential(kind, body):
            continue
        if kind == b"IEND":
            parts.append(text)
        parts.append(_chunk(kind, body))
    return b"".join(parts)


def extract_png(image: bytes) -> str:
    for kind, body in _chunks(image):
        if not _is_credential(kind, body):
            continue
        _keyword, after = body.split(b"\0", 1)
        try:
            compressed, rest = after[0:1], after[2:]
            _language, _translated, text = rest.split(b"\0", 2)
        except ValueError:
            raise NotABadge("the openbadgecredential chunk is malformed") from None
        if compressed == b"\x01":
            inflater = zlib.decompressobj()
            text = inflater.decompress(text, MAX_TEXT_BYTES + 1)
            if len(text) > MAX_TEXT_BYTES or inflater.unconsumed_tail:
                raise NotABadge("the baked credential is too large")
        try:
            return text.decode()
        except UnicodeDecodeError:
            raise NotABadge("the baked credential is not UTF-8 text") from None
    raise NotABadge("the PNG carries no Open Badges credential")


# -- SVG ------------------------------------------------------------------------------
def bake_svg(image: bytes, token: str) -> bytes:
    """The SVG with the credential in it, replacing any credential baked before."""
    root = _parse_svg(image)
    for old in root.findall(f"{{{OB_NAMESPACE}}}credential"):
        root.remove(old)
    register_namespace("", SVG_NAMESPACE)
    register_namespace("openbadges", OB_NAMESPACE)
    credential = Element(f"{{{OB_NAMESPACE}}}credential", {"verify": token})
    root.insert(0, credential)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="utf-8", xml_declaration=False)


def extract_svg(image: bytes) -> str:
    root = _parse_svg(image)
    found = root.find(f".//{{{OB_NAMESPACE}}}credential")
    if found is None:
        raise NotABadge("the SVG carries no Open Badges credential")
    token = found.get("verify") or (found.text or "").strip()
    if not token:
        raise NotABadge("the SVG's credential element is empty")
    return token


def _parse_svg(image: bytes) -> Element:
    try:
        root = SafeXml.fromstring(image, forbid_dtd=True)
    except (SafeXml.ParseError, DefusedXmlException, ValueError) as error:
        raise NotABadge(f"not an SVG image: {type(error).__name__}") from None
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise NotABadge("not an SVG image")
    return root


def extract(image: bytes) -> str:
    """The credential baked into a PNG or SVG upload."""
    if len(image) > MAX_IMAGE_BYTES:
        raise NotABadge("the image is larger than 5 MiB")
    if image.startswith(PNG_SIGNATURE):
        return extract_png(image)
    return extract_svg(image)

