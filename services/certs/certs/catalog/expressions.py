"""The expression language of requirements and recertification paths.

An expression is a mapping with exactly one key, which names its form:

    exam: "350-401"                                   pass this exam
    any_exam_of_kind: {kind: concentration, count: 2} pass exams of distinct codes
                                                      matching kind/level/track
    certification_active: jncia_junos                 hold it, active, on that day
    ce_credits: 40                                    at least this many CE credits
    course_completion: jncip_ent                      an approved course mapped to it
    all_of: [...]                                     every one
    one_of: [...]                                     at least one
    n_of: {n: 2, of: [...]}                           at least n

`kind` and `level` each take one name or a list; an omitted selector field
matches every exam. Combinations nest freely ("40 CE + one professional
exam" is `all_of: [{ce_credits: 40}, {any_exam_of_kind: {level: professional}}]`).
"""
from __future__ import annotations

from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

ExamKind = Literal["written", "core", "concentration", "lab"]
Level = Literal["entry", "associate", "specialist", "professional", "expert"]
LEVEL_RANK: dict[str, int] = {"entry": 0, "associate": 1, "specialist": 2, "professional": 3, "expert": 4}


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_tuple(value: Any) -> Any:
    if value is None or isinstance(value, (list, tuple)):
        return tuple(value) if value is not None else None
    return (value,)


class ExamSelector(_Form):
    kind: tuple[ExamKind, ...] | None = None
    level: tuple[Level, ...] | None = None
    track: str | None = None
    count: int = Field(1, ge=1)

    _lists = field_validator("kind", "level", mode="before")(_as_tuple)


class NOfBody(_Form):
    n: int = Field(ge=1)
    of: list[Expression] = Field(min_length=1)

    @model_validator(mode="after")
    def _n_fits(self) -> NOfBody:
        if self.n > len(self.of):
            raise ValueError(f"n is {self.n} but only {len(self.of)} alternatives are given")
        return self


class Exam(_Form):
    exam: str


class AnyExamOfKind(_Form):
    any_exam_of_kind: ExamSelector


class CertificationActive(_Form):
    certification_active: str


class CeCredits(_Form):
    ce_credits: int = Field(ge=1)


class CourseCompletion(_Form):
    course_completion: str


class AllOf(_Form):
    all_of: list[Expression] = Field(min_length=1)


class OneOf(_Form):
    one_of: list[Expression] = Field(min_length=1)


class NOf(_Form):
    n_of: NOfBody


FORMS: dict[str, type[_Form]] = {
    "exam": Exam,
    "any_exam_of_kind": AnyExamOfKind,
    "certification_active": CertificationActive,
    "ce_credits": CeCredits,
    "course_completion": CourseCompletion,
    "all_of": AllOf,
    "one_of": OneOf,
    "n_of": NOf,
}


def _form_of(value: Any) -> str | None:
    """The tag of an expression: its single key (None makes pydantic report it)."""
    if isinstance(value, _Form):
        return next(iter(type(value).model_fields))
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in FORMS else None
    return None


Expression = Annotated[
    Union[tuple(Annotated[form, Tag(name)] for name, form in FORMS.items())],
    Discriminator(
        _form_of,
        custom_error_type="expression",
        custom_error_message="an expression is a mapping with exactly one of the keys " + ", ".join(FORMS),
    ),
]

NOfBody.model_rebuild()
AllOf.model_rebuild()
OneOf.model_rebuild()
NOf.model_rebuild()


def children(expression: Expression) -> list[Expression]:
    if isinstance(expression, AllOf):
        return expression.all_of
    if isinstance(expression, OneOf):
        return expression.one_of
    if isinstance(expression, NOf):
        return expression.n_of.of
    return []


def walk(expression: Expression, loc: tuple = ()) -> Iterator[tuple[tuple, Expression]]:
    """Every sub-expression with its location (as pydantic would name it)."""
    yield loc, expression
    if isinstance(expression, AllOf):
        key = ("all_of",)
    elif isinstance(expression, OneOf):
        key = ("one_of",)
    elif isinstance(expression, NOf):
        key = ("n_of", "of")
    else:
        return
    for index, child in enumerate(children(expression)):
        yield from walk(child, loc + key + (index,))
