"""Documents a candidate downloads: certification logos (SVG, PNG) and PDF certificates.

Pure functions of their inputs: no database, no clock, no network. The
service decides who may download what; these only draw.
"""
from certs.documents.certificate import human_date, render_certificate_pdf
from certs.documents.logo import render_logo_png, render_logo_svg

__all__ = ["human_date", "render_certificate_pdf", "render_logo_png", "render_logo_svg"]
