"""Reference lists the profile is checked against: countries and languages."""
from __future__ import annotations

from functools import lru_cache

import pycountry

# (code, name in the language itself, English name)
LANGUAGES: tuple[tuple[str, str, str], ...] = (
    ("en", "English", "English"),
    ("de", "Deutsch", "German"),
    ("es", "Español", "Spanish"),
    ("fr", "Français", "French"),
    ("it", "Italiano", "Italian"),
    ("ja", "日本語", "Japanese"),
    ("ko", "한국어", "Korean"),
    ("pt", "Português", "Portuguese"),
    ("ru", "Русский", "Russian"),
    ("zh", "中文", "Chinese"),
)


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code → English name, from pycountry."""
    return {country.alpha_2: country.name for country in pycountry.countries}


def country_code(value: str) -> str | None:
    """The alpha-2 code for `value` (a code in any case), or None."""
    code = (value or "").strip().upper()
    return code if code in countries() else None


def language_code(value: str) -> str | None:
    """The code for a language given by code or by name (any case), or None."""
    wanted = (value or "").strip().casefold()
    for code, native, english in LANGUAGES:
        if wanted in (code, native.casefold(), english.casefold()):
            return code
    return None


def options() -> dict:
    return {
        "countries": [{"code": code, "name": name} for code, name in sorted(
            countries().items(), key=lambda item: item[1])],
        "languages": [{"code": code, "name": native} for code, native, _english in LANGUAGES],
    }
