"""The PDF certificate a candidate downloads for an active certification.

One landscape A4 page: the program, "This certifies that", the candidate's
name, the certification, its dates, the certificate code and a QR code that
opens the public verification page (its URL printed under it, for paper
copies read by people). A4 rather than Letter because the page is for
candidates everywhere; its margins leave room for printing on Letter too.

Dates read "15 January 2027": day, month name, year, which no reader can take
for another day whatever their country's numeric order. `expires_on` is the
first day the certification is no longer active (docs/decisions/0004, policy
1), so the page says "Valid through" the day before it.

Output is deterministic (reportlab's invariant mode fixes the creation date
and document id): the same inputs give the same bytes.
"""
from __future__ import annotations

import io
from datetime import date, timedelta
from functools import lru_cache

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from certs.documents import fonts
from certs.documents.qr import verification_qr_png

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
CENTRE_X = PAGE_WIDTH / 2
NAVY = HexColor("#1F3A5F")
GOLD = HexColor("#B08D57")
GREY = HexColor("#5F6B7A")
INK = HexColor("#1A1A1A")
RULE = HexColor("#C9CED6")

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")

# Built-in PDF faces when the machine has no DejaVu: they cover Latin-1 only.
BUILT_IN = {"sans": "Helvetica", "sans-bold": "Helvetica-Bold", "serif": "Times-Roman", "serif-bold": "Times-Bold"}


def render_certificate_pdf(*, candidate_name: str, certification_name: str, program_name: str, active_on: date,
                           expires_on: date | None, certificate_code: str, verify_url: str) -> bytes:
    if expires_on is not None and expires_on <= active_on:
        raise ValueError(f"a certificate expiring on {expires_on} cannot be active from {active_on}")
    candidate_name, certification_name, program_name = (
        " ".join(text.split()) for text in (candidate_name, certification_name, program_name))
    if not candidate_name or not certification_name:
        raise ValueError("a certificate names its candidate and its certification")
    face = pdf_faces()

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True, pageCompression=1)
    canvas.setTitle(f"{certification_name} certificate — {candidate_name}")
    canvas.setAuthor(program_name or "CertTrack")
    canvas.setSubject(f"Certificate {certificate_code}")
    canvas.setCreator("CertTrack")

    _frame(canvas)
    _centred(canvas, program_name.upper(), 492, face["sans-bold"], 14, GOLD, max_width=600)
    _centred(canvas, "Certificate of Achievement", 448, face["serif"], 34, NAVY, max_width=640)
    _rule(canvas, 430, 140, GOLD, 1.2)
    _centred(canvas, "This certifies that", 388, face["sans"], 13, GREY, max_width=600)
    _centred(canvas, candidate_name, 340, face["serif-bold"], 36, INK, max_width=640, smallest=16)
    _rule(canvas, 322, 440, RULE, 0.8)
    _centred(canvas, "has achieved the certification", 292, face["sans"], 13, GREY, max_width=600)
    _certification_name(canvas, certification_name, face["serif-bold"])

    _dates_and_code(canvas, active_on, expires_on, certificate_code, face)
    _verification(canvas, verify_url, face["sans"])
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def human_date(day: date) -> str:
    """"15 January 2027": spelled out, so that no reader swaps day and month."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@lru_cache(maxsize=1)
def pdf_faces() -> dict[str, str]:
    """reportlab font names by face: DejaVu registered once per process, else the built-in faces."""
    faces = {}
    for face in fonts.FILENAMES:
        path = fonts.font_file(face)
        if path is None:
            faces[face] = BUILT_IN[face]
            continue
        name = f"CertTrack-{path.stem}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        faces[face] = name
    return faces


def _dates_and_code(canvas: Canvas, active_on: date, expires_on: date | None, code: str,
                    face: dict[str, str]) -> None:
    """Bottom left: each date as one phrase ("Active since 15 January 2024"), then the code."""
    left = 88
    canvas.setFillColor(INK)
    canvas.setFont(face["sans-bold"], 12)
    canvas.drawString(left, 150, f"Active since {human_date(active_on)}")
    canvas.drawString(left, 130, "Does not expire" if expires_on is None
                      else f"Valid through {human_date(expires_on - timedelta(days=1))}")
    label = "Certificate code"
    canvas.setFillColor(GREY)
    canvas.setFont(face["sans"], 10)
    canvas.drawString(left, 104, label)
    canvas.setFillColor(INK)
    canvas.setFont(face["sans-bold"], 12)
    canvas.drawString(left + pdfmetrics.stringWidth(label, face["sans"], 10) + 8, 104, code)


def _frame(canvas: Canvas) -> None:
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(3)
    canvas.rect(24, 24, PAGE_WIDTH - 48, PAGE_HEIGHT - 48)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(0.8)
    canvas.rect(33, 33, PAGE_WIDTH - 66, PAGE_HEIGHT - 66)


def _rule(canvas: Canvas, y: float, length: float, colour, width: float) -> None:
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(width)
    canvas.line(CENTRE_X - length / 2, y, CENTRE_X + length / 2, y)


def _fitting_size(text: str, font: str, size: float, max_width: float, smallest: float) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > max_width:
        size -= 0.5
    return size


def _centred(canvas: Canvas, text: str, y: float, font: str, size: float, colour, *, max_width: float,
             smallest: float = 8) -> None:
    """One line, shrunk until it fits `max_width` (a long name stays on one line, as on a diploma)."""
    canvas.setFillColor(colour)
    canvas.setFont(font, _fitting_size(text, font, size, max_width, smallest))
    canvas.drawCentredString(CENTRE_X, y, text)


def _certification_name(canvas: Canvas, name: str, font: str) -> None:
    """Up to two lines at 24 pt, shrinking toward 12 pt for the longest Specialist names."""
    width = 640
    size = 24
    lines = simpleSplit(name, font, size, width)
    while len(lines) > 2 and size > 12:
        size -= 1
        lines = simpleSplit(name, font, size, width)
    if len(lines) > 2:  # longer than any catalog name: keep what fits, and say it was cut
        lines = [lines[0], lines[1].rstrip() + " …"]
    canvas.setFillColor(NAVY)
    canvas.setFont(font, size)
    top = 256 if len(lines) == 1 else 264
    for i, line in enumerate(lines):
        canvas.drawCentredString(CENTRE_X, top - i * size * 1.2, line)


def _verification(canvas: Canvas, verify_url: str, font: str) -> None:
    """The QR code at the bottom right, the URL under it; text aligns with the modules, inside the
    image's quiet zone (about 10 pt of white on each side)."""
    side = 104
    right = PAGE_WIDTH - 80
    bottom = 88
    canvas.drawImage(ImageReader(io.BytesIO(verification_qr_png(verify_url))), right - side, bottom, side, side)
    canvas.setFillColor(GREY)
    canvas.setFont(font, 9)
    canvas.drawRightString(right - 10, bottom + side - 2, "Scan to check this certificate's status")
    size = _fitting_size(verify_url, font, 8, 330, 5)
    canvas.setFillColor(INK)
    canvas.setFont(font, size)
    canvas.drawRightString(right - 10, bottom - 2, verify_url)
