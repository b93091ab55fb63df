"""The catalog of one program: its exams and its certifications, as data.

Field names are those of the YAML files (`cisco.yaml`, `juniper.yaml`); the
expression forms are in `expressions.py`.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from certs.catalog.expressions import LEVEL_RANK, ExamKind, Expression, Level


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Exam(_Entry):
    code: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: ExamKind
    level: Level
    track: str
    retired_on: date | None = None  # sittings on or after this day count toward nothing

    def counts_on(self, day: date) -> bool:
        return self.retired_on is None or day < self.retired_on


class RecertificationPath(_Entry):
    name: str = Field(min_length=1)
    requires: Expression


class LowerLevels(_Entry):
    within: Literal["program", "track"]
    inclusive: bool = True  # "at my level and below" (True) or "below my level" (False)


class RenewalSelector(_Entry):
    """One rule naming certifications that a renewal (or achievement) of this one
    also renews, when they are active that day. Exactly one field is set."""

    certification: str | None = None
    level: Level | None = None
    lower_levels: LowerLevels | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> RenewalSelector:
        if sum(value is not None for value in (self.certification, self.level, self.lower_levels)) != 1:
            raise ValueError("give exactly one of certification, level, lower_levels")
        return self


class KitItem(_Entry):
    sku: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    description: str = Field(min_length=1)
    price_cents: int = Field(ge=0)
    initial: bool = False  # sent free when the certification is first achieved

    @model_validator(mode="after")
    def _initial_is_free(self) -> KitItem:
        if self.initial and self.price_cents != 0:
            raise ValueError("an item of the initial kit costs 0")
        return self


class Logo(_Entry):
    primary: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    secondary: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")


class Certification(_Entry):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    # What its digital badge says (Open Badges `description` and `humanCode`);
    # without them the badge says the name, level and track.
    description: str | None = Field(default=None, min_length=1)
    code: str | None = Field(default=None, min_length=1, max_length=40)
    level: Level
    track: str
    validity_years: int | None = Field(ge=1)  # None: never expires
    requirements: Expression
    prerequisites: list[str] = []  # certifications that must be active on the day it is achieved
    recertification: list[RecertificationPath] = []
    renews: list[RenewalSelector] = []
    kit: list[KitItem] = Field(min_length=1)
    logo: Logo

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self.level]

    @property
    def expires(self) -> bool:
        return self.validity_years is not None

    @model_validator(mode="after")
    def _recertifiable_only_if_expiring(self) -> Certification:
        if self.validity_years is None and self.recertification:
            raise ValueError("a certification that never expires has no recertification paths")
        if len({path.name for path in self.recertification}) != len(self.recertification):
            raise ValueError("recertification path names must be distinct")
        return self

    def renewed_with(self, other: Certification) -> bool:
        """Whether renewing (or achieving) this certification also renews `other`."""
        if other.id == self.id:
            return False
        for rule in self.renews:
            if rule.certification == other.id or rule.level == other.level:
                return True
            lower = rule.lower_levels
            if lower and (lower.within == "program" or other.track == self.track):
                if other.rank < self.rank or (lower.inclusive and other.rank == self.rank):
                    return True
        return False


class Catalog(_Entry):
    program: str = Field(pattern=r"^[a-z]+$")
    name: str
    website: str | None = Field(default=None, pattern=r"^https://")  # the issuer's URL on its badges
    # The program's own logo for its issuer profile, where the program hosts one (CertTrack does
    # not copy a program's trademark into its repository).
    image: str | None = Field(default=None, pattern=r"^https://")
    exams: list[Exam] = Field(min_length=1)
    certifications: list[Certification] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data):
        """Top-level `x-…` keys hold YAML anchors shared by entries (as in Compose files)."""
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if not str(key).startswith("x-")}
        return data

    _exams: dict[str, Exam] = PrivateAttr(default_factory=dict)
    _certifications: dict[str, Certification] = PrivateAttr(default_factory=dict)

    def exam(self, code: str) -> Exam | None:
        return self._exams.get(code)

    def certification(self, certification_id: str) -> Certification:
        return self._certifications[certification_id]

    def model_post_init(self, _context) -> None:
        self._exams = {exam.code: exam for exam in self.exams}
        self._certifications = {cert.id: cert for cert in self.certifications}
