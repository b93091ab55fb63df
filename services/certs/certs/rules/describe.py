"""Human wording of expressions: what a requirement asks (`describe`) and
what is still missing (`missing_*`), for pages, mails and the API."""
from __future__ import annotations

from certs.catalog.expressions import (
    AllOf,
    AnyExamOfKind,
    CeCredits,
    CertificationActive,
    CourseCompletion,
    Exam,
    ExamSelector,
    Expression,
    NOf,
    OneOf,
)
from certs.catalog.model import Catalog

_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def number(n: int) -> str:
    return _NUMBERS.get(n, str(n))


def describe(expression: Expression, catalog: Catalog) -> str:
    """"Pass one of 300-410, 300-415, …", "Earn 40 CE credits and pass one core exam"."""
    text = _describe(expression, catalog)
    return text[:1].upper() + text[1:]


def _describe(expression: Expression, catalog: Catalog) -> str:
    if isinstance(expression, Exam):
        exam = catalog.exam(expression.exam)
        return f"pass {expression.exam}" + (f" ({exam.title})" if exam else "")
    if isinstance(expression, AnyExamOfKind):
        return "pass " + exams_phrase(expression.any_exam_of_kind, expression.any_exam_of_kind.count)
    if isinstance(expression, CeCredits):
        return f"earn {expression.ce_credits} CE credits"
    if isinstance(expression, CertificationActive):
        return f"hold an active {_name(expression.certification_active, catalog)}"
    if isinstance(expression, CourseCompletion):
        return f"complete an approved course for {_name(expression.course_completion, catalog)}"
    if isinstance(expression, AllOf):
        return " and ".join(_describe(child, catalog) for child in expression.all_of)
    if isinstance(expression, OneOf):
        codes = exam_codes(expression)
        if codes:
            return "pass one of " + ", ".join(codes)
        return "; or ".join(_describe(child, catalog) for child in expression.one_of)
    if isinstance(expression, NOf):
        body = expression.n_of
        return f"meet {number(body.n)} of: " + "; ".join(_describe(child, catalog) for child in body.of)
    raise TypeError(expression)


def exam_codes(expression: OneOf | NOf) -> list[str] | None:
    """The codes when every alternative is a single exam, else None."""
    alternatives = expression.one_of if isinstance(expression, OneOf) else expression.n_of.of
    if all(isinstance(child, Exam) for child in alternatives):
        return [child.exam for child in alternatives]
    return None


def exams_phrase(selector: ExamSelector, count: int) -> str:
    """"one core exam", "two professional exams", "one expert written or lab exam"."""
    words = []
    if selector.level:
        words.append(_either(selector.level))
    if selector.kind:
        words.append(_either(selector.kind))
    noun = "exam" if count == 1 else "exams"
    track = f" of the {selector.track} track" if selector.track else ""
    return " ".join([number(count)] + words + [noun]) + track


def missing_exam(code: str) -> str:
    return f"exam {code}"


def missing_exams(selector: ExamSelector, still: int) -> str:
    phrase = exams_phrase(selector, still)
    return phrase.replace(" ", " more ", 1) if still < selector.count else phrase


def missing_credits(required: int, available: int) -> str:
    if available <= 0:
        return f"{required} CE credits"
    return f"{required - available} more CE credits"


def missing_certification(certification_id: str, catalog: Catalog) -> str:
    return f"an active {_name(certification_id, catalog)}"


def missing_course(certification_id: str, catalog: Catalog) -> str:
    return f"an approved course completion for {_name(certification_id, catalog)}"


def missing_one_of(phrases: list[str]) -> str:
    return " or ".join(f"({p})" if (" + " in p or " or " in p) and len(phrases) > 1 else p for p in phrases)


def missing_all(phrases: list[str]) -> str:
    return " + ".join(phrases)


def _either(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _name(certification_id: str, catalog: Catalog) -> str:
    try:
        return catalog.certification(certification_id).name
    except KeyError:
        return certification_id
