"""Load and validate the program catalogs (`<program>.yaml` beside this file).

A catalog that does not validate refuses to load: `CatalogError` lists every
problem as `<file>, line <n>: <where>: <what>`, the line being that of the
offending entry in the YAML source (kept from the YAML parser's node marks).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import yaml
from pydantic import ValidationError

from certs.catalog.expressions import (
    AnyExamOfKind,
    CertificationActive,
    CourseCompletion,
    Exam,
    Expression,
    walk,
)
from certs.catalog.model import Catalog

CATALOG_DIR = Path(__file__).parent


class CatalogError(Exception):
    """A catalog file that does not load; `problems` holds one line per fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid catalog:\n" + "\n".join(problems))


def load_catalogs(directory: Path = CATALOG_DIR) -> dict[str, Catalog]:
    """Every `*.yaml` in `directory`, by program name."""
    catalogs = [load_catalog(path) for path in sorted(directory.glob("*.yaml"))]
    by_program = {catalog.program: catalog for catalog in catalogs}
    if len(by_program) != len(catalogs):
        raise CatalogError([f"{directory}: two files declare the same program"])
    return by_program


def load_catalog(path: Path) -> Catalog:
    return parse_catalog(Path(path).read_text(encoding="utf-8"), Path(path).name)


def parse_catalog(text: str, filename: str) -> Catalog:
    """The catalog in `text` (named `filename` in messages), validated."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else "?"
        raise CatalogError([f"{filename}, line {line}: not valid YAML: {error.problem}"]) from None

    def problem(loc: tuple, message: str) -> str:
        where = _dotted(loc) or "catalog"
        return f"{filename}, line {_line_of(root, loc)}: {where}: {message}"

    try:
        catalog = Catalog.model_validate(data)
    except ValidationError as error:
        raise CatalogError(
            [problem(e["loc"], e["msg"]) for e in error.errors(include_url=False)]
        ) from None
    faults = [problem(loc, message) for loc, message in _reference_faults(catalog)]
    if faults:
        raise CatalogError(faults)
    return catalog


def _reference_faults(catalog: Catalog) -> Iterator[tuple[tuple, str]]:
    """What pydantic cannot see: duplicates, dangling references, cycles."""
    yield from _duplicates(((("exams", i, "code"), e.code) for i, e in enumerate(catalog.exams)), "exam code")
    yield from _duplicates(
        ((("certifications", i, "id"), c.id) for i, c in enumerate(catalog.certifications)), "certification id"
    )
    yield from _duplicates(
        (
            (("certifications", i, "kit", k, "sku"), item.sku)
            for i, c in enumerate(catalog.certifications)
            for k, item in enumerate(c.kit)
        ),
        "kit SKU",
    )
    codes = {exam.code for exam in catalog.exams}
    ids = {cert.id for cert in catalog.certifications}
    for i, cert in enumerate(catalog.certifications):
        here = ("certifications", i)
        expressions = [(here + ("requirements",), cert.requirements)] + [
            (here + ("recertification", p, "requires"), path.requires)
            for p, path in enumerate(cert.recertification)
        ]
        for base, expression in expressions:
            yield from _expression_faults(catalog, expression, base, codes, ids)
        for p, prerequisite in enumerate(cert.prerequisites):
            if prerequisite not in ids:
                yield here + ("prerequisites", p), f"unknown certification {prerequisite!r}"
            elif prerequisite == cert.id:
                yield here + ("prerequisites", p), "a certification cannot be its own prerequisite"
        for r, rule in enumerate(cert.renews):
            if rule.certification is not None and rule.certification not in ids:
                yield here + ("renews", r, "certification"), f"unknown certification {rule.certification!r}"
    cycle = _prerequisite_cycle(catalog)
    if cycle:
        index = next(i for i, c in enumerate(catalog.certifications) if c.id == cycle[0])
        yield ("certifications", index, "prerequisites"), "prerequisites form a cycle: " + " -> ".join(cycle)


def _expression_faults(catalog, expression: Expression, base: tuple, codes, ids) -> Iterator[tuple[tuple, str]]:
    for loc, node in walk(expression, base):
        if isinstance(node, Exam) and node.exam not in codes:
            yield loc + ("exam",), f"unknown exam {node.exam!r}"
        elif isinstance(node, (CertificationActive, CourseCompletion)):
            (field, value), = node.model_dump().items()
            if value not in ids:
                yield loc + (field,), f"unknown certification {value!r}"
        elif isinstance(node, AnyExamOfKind):
            selector = node.any_exam_of_kind
            matching = {
                e.code
                for e in catalog.exams
                if (selector.kind is None or e.kind in selector.kind)
                and (selector.level is None or e.level in selector.level)
                and (selector.track is None or e.track == selector.track)
            }
            if len(matching) < selector.count:
                yield loc + ("any_exam_of_kind",), (
                    f"only {len(matching)} exam(s) of the catalog match, {selector.count} needed"
                )


def _duplicates(entries: Iterable[tuple[tuple, str]], what: str) -> Iterator[tuple[tuple, str]]:
    seen: set[str] = set()
    for loc, value in entries:
        if value in seen:
            yield loc, f"duplicate {what} {value!r}"
        seen.add(value)


def _prerequisite_cycle(catalog: Catalog) -> list[str] | None:
    graph = {cert.id: cert.prerequisites for cert in catalog.certifications}
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return trail[trail.index(node):] + [node]
        if node in done or node not in graph:
            return None
        for nxt in graph[node]:
            found = visit(nxt, trail + [node])
            if found:
                return found
        done.add(node)
        return None

    for start in graph:
        found = visit(start, [])
        if found:
            return found
    return None


def _line_of(root: yaml.Node | None, loc: tuple) -> int | str:
    """The source line of the deepest node that `loc` reaches; parts of `loc`
    that are not keys or indexes (pydantic's union tags) are skipped."""
    if root is None:
        return 1
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    node = value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
    return node.start_mark.line + 1


def _dotted(loc: tuple) -> str:
    text, previous = "", None
    for part in loc:
        if part != previous:  # pydantic repeats a union's tag before its field
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        previous = part
    return text
