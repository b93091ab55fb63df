"""Shipping addresses, checked per country before an order is placed.

Postal codes follow each country's format where we know it (the countries
most candidates ship to); elsewhere a generic rule accepts 2–10 letters,
digits, spaces or hyphens, or none (many countries have no postal codes).
A region is required where mail is addressed by it (US states, Canadian
provinces, Australian states) and must then be one of the country's
subdivisions; it is stored as the short code the warehouse prints ("CA").
"""
from __future__ import annotations

import re

import pycountry

from fulfillment.exceptions import InvalidOrder

POSTAL_CODES = {
    "US": (r"\d{5}(-\d{4})?", "a 5-digit ZIP code, e.g. 95134 or 95134-1706"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "a postal code like K1A 0B1"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "a postcode like SW1A 1AA"),
    "DE": (r"\d{5}", "5 digits, e.g. 10115"),
    "FR": (r"\d{5}", "5 digits, e.g. 75008"),
    "JP": (r"\d{3}-?\d{4}", "a postal code like 100-0001"),
    "IN": (r"[1-9]\d{5}", "a 6-digit PIN code, e.g. 110001"),
    "AU": (r"\d{4}", "4 digits, e.g. 2000"),
    "NL": (r"\d{4} ?[A-Z]{2}", "a postcode like 1012 AB"),
}
GENERIC_POSTAL_CODE = r"[A-Z0-9][A-Z0-9 -]{0,8}[A-Z0-9]"
# Countries whose postal code is mandatory (the ones listed above, and only those).
REGION_REQUIRED = {"US": "state", "CA": "province", "AU": "state or territory"}
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]{4,24}")


def validate_ship_to(raw: dict) -> dict:
    """The address normalized, or InvalidOrder naming every field that is wrong."""
    problems: dict[str, str] = {}
    address = {key: (str(raw.get(key)).strip() if raw.get(key) is not None else None)
               for key in ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")}
    address = {key: (value or None) for key, value in address.items()}
    for key, label, limit in (("name", "Name", 200), ("line1", "Address line 1", 200), ("city", "City", 120)):
        if not address[key]:
            problems[f"ship_to.{key}"] = f"{label} is required."
        elif len(address[key]) > limit:
            problems[f"ship_to.{key}"] = f"{label} is too long (at most {limit} characters)."
    if address["line2"] and len(address["line2"]) > 200:
        problems["ship_to.line2"] = "Address line 2 is too long (at most 200 characters)."

    country = pycountry.countries.get(alpha_2=(address["country"] or "").upper()) if address["country"] else None
    if country is None:
        problems["ship_to.country"] = "Choose the country to ship to."
    else:
        address["country"] = country.alpha_2
        _check_region(address, problems)
        _check_postal_code(address, problems)
    if address["phone"] and not PHONE.fullmatch(address["phone"]):
        problems["ship_to.phone"] = "Enter a phone number of digits, spaces and an optional leading +."
    if problems:
        raise InvalidOrder(problems)
    return address


def _check_region(address: dict, problems: dict) -> None:
    country = address["country"]
    region = address["region"]
    if country not in REGION_REQUIRED:
        if region and len(region) > 120:
            problems["ship_to.region"] = "Region is too long (at most 120 characters)."
        return
    if not region:
        problems["ship_to.region"] = f"The {REGION_REQUIRED[country]} is required for {country} addresses."
        return
    code = _subdivision_code(country, region)
    if code is None:
        problems["ship_to.region"] = f"“{region}” is not a {REGION_REQUIRED[country]} of {country}."
    else:
        address["region"] = code


def _subdivision_code(country: str, region: str) -> str | None:
    """`CA`, `US-CA` or `California` → `CA` (top-level subdivisions only)."""
    wanted = region.strip().upper()
    for subdivision in pycountry.subdivisions.get(country_code=country) or ():
        if subdivision.parent_code:
            continue
        short = subdivision.code.split("-", 1)[1]
        if wanted in (short, subdivision.code.upper(), subdivision.name.upper()):
            return short
    return None


def _check_postal_code(address: dict, problems: dict) -> None:
    country = address["country"]
    postal_code = (address["postal_code"] or "").upper()
    rule = POSTAL_CODES.get(country)
    if not postal_code:
        if rule:
            problems["ship_to.postal_code"] = f"The postal code is required: {rule[1]}."
        address["postal_code"] = None
        return
    pattern, description = rule or (GENERIC_POSTAL_CODE, "2 to 10 letters, digits, spaces or hyphens")
    if not re.fullmatch(pattern, postal_code):
        problems["ship_to.postal_code"] = f"This is not a valid postal code for {country}: expected {description}."
        return
    if country == "CA" and " " not in postal_code:
        postal_code = f"{postal_code[:3]} {postal_code[3:]}"
    if country == "GB" and " " not in postal_code:
        postal_code = f"{postal_code[:-3]} {postal_code[-3:]}"
    if country == "NL" and " " not in postal_code:
        postal_code = f"{postal_code[:4]} {postal_code[4:]}"
    address["postal_code"] = postal_code
