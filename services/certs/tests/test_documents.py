"""Logos and PDF certificates as a candidate receives them: they open, say the
right things, fit their text, and the certificate's QR code leads to its
verification page. No broker, no database: the renderers are pure."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import date

import pypdf
import pytest
import segno
from PIL import Image

from certs.catalog import load_catalogs
from certs.documents import fonts, human_date, render_certificate_pdf, render_logo_png, render_logo_svg
from certs.documents import certificate as certificate_module
from certs.documents.badge import contrast, design_badge, measure

SVG = "{http://www.w3.org/2000/svg}"
CATALOGS = load_catalogs()
CISCO = CATALOGS["cisco"]
CCNA = CISCO.certification("ccna")
LONGEST = max((cert for catalog in CATALOGS.values() for cert in catalog.certifications), key=lambda c: len(c.name))
VERIFY_URL = "https://certtrack.example.org/verify/certificate/CT-7Q4M-2XK9-HB3D"


def svg_lines(svg: str) -> list[ET.Element]:
    return list(ET.fromstring(svg).iter(f"{SVG}text"))


def svg_text(svg: str) -> str:
    return " ".join(element.text or "" for element in svg_lines(svg))


def certificate(**overrides) -> bytes:
    fields = dict(candidate_name="Zoë Ångström", certification_name="CCNA", program_name="Cisco",
                  active_on=date(2024, 1, 15), expires_on=date(2027, 1, 15),
                  certificate_code="CT-7Q4M-2XK9-HB3D", verify_url=VERIFY_URL)
    return render_certificate_pdf(**{**fields, **overrides})


def pdf_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


# Logos


def test_svg_logo_shows_name_level_and_program_in_the_catalog_colours():
    svg = render_logo_svg(CCNA, "Cisco")
    root = ET.fromstring(svg)
    painted = {element.get(attr) for element in root.iter() for attr in ("fill", "stroke")}

    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 512 512"
    assert svg_text(svg).split() == ["CISCO", "CCNA", "ASSOCIATE"]
    assert {CCNA.logo.primary.upper(), CCNA.logo.secondary.upper()} <= painted
    assert root.find(f"{SVG}title").text.startswith("CCNA")


def test_svg_logo_escapes_markup_in_names():
    tricky = CCNA.model_copy(update={"name": "R&D <Core> \"Routing\""})

    svg = render_logo_svg(tricky, "Acme & <Co>")

    assert "&amp;" in svg and "&lt;Core&gt;" in svg and "<Core>" not in svg
    assert "R&D <Core> \"Routing\"" in svg_text(svg)  # parses back to the name as written
    assert "ACME & <CO>" in svg_text(svg)


def test_long_names_wrap_and_shrink_to_fit_the_badge():
    short = design_badge(CCNA, "Cisco").lines[1]
    name_lines = design_badge(LONGEST, "Cisco").lines[1:-1]

    assert 2 <= len(name_lines) <= 4
    assert " ".join(line.text for line in name_lines) == LONGEST.name  # nothing cut
    assert all(measure(line.text, line.size) <= 330 for line in name_lines)
    assert name_lines[0].size < short.size


def test_a_name_too_long_for_any_size_is_cut_with_an_ellipsis():
    endless = CCNA.model_copy(update={"name": "Networking " * 40})

    name_lines = design_badge(endless, "Cisco").lines[1:-1]

    assert len(name_lines) <= 4
    assert name_lines[-1].text.endswith("…")
    assert all(measure(line.text, line.size) <= 330 for line in name_lines)


@pytest.mark.parametrize("certification", [c for catalog in CATALOGS.values() for c in catalog.certifications],
                         ids=lambda c: c.id)
def test_every_catalog_logo_renders_with_readable_text(certification):
    program = next(catalog.name for catalog in CATALOGS.values() if certification in catalog.certifications)
    badge = design_badge(certification, program)

    assert certification.name.split() == svg_text(render_logo_svg(certification, program)).split()[
        len(program.split()):-1]
    # WCAG AA for large text: bold text over 14 pt needs a contrast of 3:1.
    assert all(contrast(line.fill, certification.logo.secondary) >= 3 for line in badge.lines[:-1])
    assert contrast(badge.lines[-1].fill, certification.logo.primary) >= 3
    assert Image.open(io.BytesIO(render_logo_png(certification, program, size=64))).size == (64, 64)


@pytest.mark.parametrize("size", [512, 128, 1024])
def test_png_logo_has_the_requested_size_a_transparent_background_and_the_colours(size):
    png = render_logo_png(CCNA, "Cisco", size=size)
    image = Image.open(io.BytesIO(png))
    at = lambda x, y: image.getpixel((round(x * size / 512), round(y * size / 512)))  # noqa: E731

    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (size, size)
    assert at(2, 2)[3] == 0  # outside the disc
    assert at(256, 200) == (*_rgb(CCNA.logo.secondary), 255)  # the disc, between lines of text
    assert at(60, 372) == (*_rgb(CCNA.logo.primary), 255)  # the ribbon, left of the level


def test_png_logo_default_size_is_512():
    assert Image.open(io.BytesIO(render_logo_png(CCNA, "Cisco"))).size == (512, 512)


@pytest.mark.parametrize("size", [0, 8, 10_000])
def test_png_logo_refuses_sizes_it_cannot_draw_well(size):
    with pytest.raises(ValueError):
        render_logo_png(CCNA, "Cisco", size=size)


# Certificates


@pytest.mark.parametrize("candidate", ["Zoë Ångström", "Łukasz Żółć", "Ольга Петрова", "Ada Lovelace"])
def test_certificate_names_candidate_certification_dates_code_and_verification_url(candidate):
    text = pdf_text(certificate(candidate_name=candidate, certification_name=LONGEST.name))
    flat = " ".join(text.split())

    assert candidate in text
    assert LONGEST.name in flat  # it wraps onto two lines
    assert "CISCO" in text and "This certifies that" in text
    assert "Active since 15 January 2024" in text
    assert "Valid through 14 January 2027" in text  # the day before expires_on: its last active day
    assert "CT-7Q4M-2XK9-HB3D" in text
    assert VERIFY_URL in text


def test_certificate_valid_through_is_the_last_active_day_across_a_year_end():
    assert "Valid through 31 December 2026" in pdf_text(certificate(expires_on=date(2027, 1, 1)))


def test_certificate_of_a_certification_that_never_expires_says_so():
    text = pdf_text(certificate(expires_on=None))

    assert "Does not expire" in text and "Valid through" not in text


def test_certificate_is_one_landscape_a4_page_with_title_and_author():
    reader = pypdf.PdfReader(io.BytesIO(certificate(candidate_name="Łukasz Żółć")))
    box = reader.pages[0].mediabox

    assert len(reader.pages) == 1
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    assert reader.metadata.title == "CCNA certificate — Łukasz Żółć"
    assert reader.metadata.author == "Cisco"


def test_certificate_qr_code_encodes_the_verification_url():
    images = pypdf.PdfReader(io.BytesIO(certificate())).pages[0].images
    assert len(images) == 1
    drawn = images[0].image.convert("L")

    expected = [list(row) for row in segno.make_qr(VERIFY_URL, error="m").matrix_iter(border=4)]
    module = drawn.width / len(expected)
    read = [[int(drawn.getpixel((int((x + 0.5) * module), int((y + 0.5) * module))) < 128)
             for x in range(len(expected))] for y in range(len(expected))]

    assert drawn.width == drawn.height and module == int(module)
    assert read == expected
    other = [list(row) for row in segno.make_qr(VERIFY_URL + "X", error="m").matrix_iter(border=4)]
    assert read != other  # the comparison can tell codes apart


def test_certificate_is_the_same_bytes_for_the_same_inputs():
    assert certificate() == certificate()
    assert certificate() != certificate(certificate_code="CT-OTHER")


def test_certificate_refuses_an_expiry_not_after_its_start():
    with pytest.raises(ValueError):
        certificate(active_on=date(2024, 1, 15), expires_on=date(2024, 1, 15))


def test_dates_are_written_with_the_month_name():
    assert human_date(date(2028, 2, 29)) == "29 February 2028"
    assert human_date(date(2027, 12, 1)) == "1 December 2027"


@pytest.fixture
def no_truetype_fonts(monkeypatch, tmp_path):
    def forget():
        fonts.forget()
        certificate_module.pdf_faces.cache_clear()

    monkeypatch.setattr(fonts, "FONT_DIRECTORIES", (tmp_path,))
    forget()
    yield
    monkeypatch.undo()
    forget()


def test_documents_still_render_on_a_machine_without_truetype_fonts(no_truetype_fonts):
    assert fonts.font_file("sans-bold") is None

    text = pdf_text(certificate(candidate_name="Zoë Ångström"))  # Latin-1: Helvetica has these
    png = Image.open(io.BytesIO(render_logo_png(CCNA, "Cisco", size=128)))

    assert "Zoë Ångström" in text and "Valid through 14 January 2027" in text
    assert png.size == (128, 128) and png.getpixel((2, 2))[3] == 0


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
