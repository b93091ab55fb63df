"""The certification catalog: one YAML file per program, validated at load."""
from certs.catalog.loading import CATALOG_DIR, CatalogError, load_catalog, load_catalogs, parse_catalog
from certs.catalog.model import Catalog, Certification, Exam, KitItem, Logo, RecertificationPath

__all__ = [
    "CATALOG_DIR",
    "Catalog",
    "CatalogError",
    "Certification",
    "Exam",
    "KitItem",
    "Logo",
    "RecertificationPath",
    "load_catalog",
    "load_catalogs",
    "parse_catalog",
]
