"""What signing needs, loaded once per process: the site and each program's key ring.

`Issuing` is plain data the handlers take as an argument (tests build one
with fresh keys); `CredentialKeys` is the dependency provider that loads the
ring of every program in the service's catalogs when the service starts, so
a missing production key stops the start with the reason instead of failing
the first achievement of the day.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from nameko.extensions import DependencyProvider

from certtrack_shared import config

from certs.catalog import load_catalogs
from certs.catalog.loaded import catalog_directory
from certs.catalog.model import Catalog
from certs.exceptions import CredentialNotFound

from . import keys
from .openbadges import Issuer, Site

DEFAULT_KEYS_DIR = "var/credential-keys"


@dataclass(frozen=True)
class Issuing:
    site: Site
    rings: Mapping[str, keys.KeyRing]

    def ring(self, program: str) -> keys.KeyRing:
        try:
            return self.rings[program]
        except KeyError:
            raise CredentialNotFound({"program": f"{program} issues no credentials here"}) from None

    def key_url(self, program: str) -> str:
        return self.site.key(program, self.ring(program).current_id)


def issuer(catalog: Catalog) -> Issuer:
    """The program as the issuer its badges name, from its catalog (renamed on reload)."""
    return Issuer(catalog.program, catalog.name, catalog.website or config.site_url(), catalog.image)


def load(programs: Iterable[str], *, site_url: str, keys_dir: Path, environment: str,
         environ: Mapping[str, str] = os.environ) -> Issuing:
    """Every program's ring; only development and tests may generate a missing one."""
    generate = environment in ("development", "test")
    rings = {program: keys.load(program, keys_dir, environ, generate_missing=generate) for program in programs}
    return Issuing(Site(site_url), rings)


class CredentialKeys(DependencyProvider):
    """Injects the `Issuing` of the programs whose catalogs the service loads."""

    def setup(self):
        settings = self.container.config
        self.issuing = load(
            load_catalogs(catalog_directory(settings)),
            site_url=settings.get("SITE_URL") or config.site_url(),
            keys_dir=Path(settings.get("CREDENTIAL_KEYS_DIR") or os.environ.get("CREDENTIAL_KEYS_DIR")
                          or DEFAULT_KEYS_DIR),
            environment=config.environment(),
        )

    def get_dependency(self, worker_ctx) -> Issuing:
        return self.issuing
