"""The catalogs this process evaluates with, and their reload.

The YAML files are read at start; `reload` reads them again and swaps the
whole set only when every file validates, so a bad edit keeps the old
catalogs running (and the caller gets every problem with file and line).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider

from certs.catalog import CATALOG_DIR, Catalog, CatalogError, load_catalogs
from certs.exceptions import CatalogInvalid, CertificationNotFound


def _sources(directory: Path) -> dict[str, str]:
    """program → file name (the program is the file's `program:` key)."""
    found = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("program"):
            found[str(data["program"])] = path.name
    return found


@dataclass
class LoadedCatalogs:
    directory: Path
    by_program: dict[str, Catalog]
    loaded_at: datetime
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR) -> "LoadedCatalogs":
        directory = Path(directory)
        return cls(directory, load_catalogs(directory), datetime.now(timezone.utc), _sources(directory))

    def reload(self) -> None:
        try:
            fresh = load_catalogs(self.directory)
        except CatalogError as error:
            raise CatalogInvalid({"problems": error.problems}, message="; ".join(error.problems)) from None
        self.by_program = fresh
        self.sources = _sources(self.directory)
        self.loaded_at = datetime.now(timezone.utc)

    def program(self, program: str) -> Catalog:
        try:
            return self.by_program[program]
        except KeyError:
            raise CertificationNotFound(
                {"program": program}, message=f"No catalog for program {program!r}.") from None

    def source(self, program: str) -> str:
        return self.sources.get(program, f"{program}.yaml")


def catalog_directory(config) -> Path:
    """Where the service's catalogs are: `CERTS_CATALOG_DIR` (config, then environment), else the shipped ones."""
    return Path(config.get("CERTS_CATALOG_DIR") or os.environ.get("CERTS_CATALOG_DIR") or CATALOG_DIR)


class Catalogs(DependencyProvider):
    """One `LoadedCatalogs` per service process; `CERTS_CATALOG_DIR` points elsewhere (tests)."""

    def setup(self):
        self.catalogs = LoadedCatalogs.load(catalog_directory(self.container.config))

    def get_dependency(self, worker_ctx) -> LoadedCatalogs:
        return self.catalogs
