"""The repository explains itself (issue 15): every file or document that a
tracked file cites is in the repository.

Three kinds of citation are checked in every tracked text file:

- a repository path: one that starts with a top-level folder (`docs`,
  `services`, `gateway`, `lib`, `deploy`, `tests`, `scripts`). It is found
  from the repository's root, from a folder that holds the citing file, or
  from a folder that holds a Python package, since a module is also cited by
  its import path (the gateway package's `settings.py` as `gateway/` +
  `settings.py`). A decision may be cited by its number alone. A path
  followed by `<`, `{`, `*` or `$` is a pattern (a service's folder as
  `services/` + `<name>/`), not a citation;
- a Markdown document by its file name (`CONTRACTS.md` is `docs/CONTRACTS.md`);
- a relative path that climbs (`../`) and a relative link of a Markdown file:
  neither may lead outside the repository.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

REPO = Path(__file__).resolve().parents[1]

TOP_LEVEL = ("docs", "services", "gateway", "lib", "deploy", "tests", "scripts")
REPOSITORY_PATH = re.compile(
    r"(?<![\w/.\-])((?:" + "|".join(TOP_LEVEL) + r")/[\w./\-]*[\w/])(.?)")
PATTERN_MARKS = set("<{*$")
MARKDOWN_NAME = re.compile(r"(?<![\w.\-])([\w.\-]*\w\.md)\b")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
CLIMBING_PATH = re.compile(r"(?<![\w./\-])((?:\.\./)+[\w.\-/]*)")

# Citations that are examples, not references: (citing file, cited path).
EXAMPLES = {
    # How pytest's importlib mode names any gateway test module.
    ("conftest.py", "gateway/tests/" + "test_x.py"),
}


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout
    return [name for name in listed.split("\0") if name]


class Repository:
    def __init__(self) -> None:
        self.files = tracked_files()
        self.paths = set(self.files)
        for name in self.files:
            self.paths.update(str(folder) for folder in PurePosixPath(name).parents)
        self.basenames = {PurePosixPath(name).name for name in self.files}
        # Folders holding a top-level Python package: gateway/, lib/, services/<name>/.
        packages = {PurePosixPath(name).parent for name in self.files
                    if name.endswith("/__init__.py")}
        self.source_roots = sorted({str(package.parent) for package in packages
                                    if package.parent not in packages and package.parent.name})

    def has(self, path: str) -> bool:
        path = path.rstrip("/")
        if path in self.paths:
            return True
        # A decision by its number: docs/decisions/0017 is 0017-<title>.md.
        folder, _, number = path.rpartition("/")
        return folder == "docs/decisions" and number.isdigit() and any(
            name.startswith(f"{path}-") for name in self.files)

    def resolves(self, citing: str, cited: str) -> bool:
        bases = [""]
        bases += [f"{folder}/" for folder in PurePosixPath(citing).parents if str(folder) != "."]
        bases += [f"{root}/" for root in self.source_roots]
        return any(self.has(base + cited) for base in bases)

    def texts(self):
        for name in self.files:
            try:
                text = (REPO / name).read_text(encoding="utf-8")
            except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
                continue
            yield name, text


def outside_the_repository(citing: str, relative: str) -> bool:
    resolved = (REPO / citing).parent.joinpath(relative).resolve()
    return resolved != REPO and REPO not in resolved.parents


def findings(repository: Repository, pattern: re.Pattern, broken, suffix: str = "") -> str:
    """Each `file:line: citation` of the tracked files (ending in `suffix`)
    whose match `broken(file, match)` says does not hold, one per line."""
    lines = []
    for name, text in repository.texts():
        if not name.endswith(suffix):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            lines += [f"{name}:{number}: {match.group(1)}"
                      for match in pattern.finditer(line) if broken(name, match)]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def repository() -> Repository:
    return Repository()


def test_every_cited_repository_path_is_in_the_repository(repository):
    def missing(name, match):
        cited, following = match.group(1), match.group(2)
        return (following not in PATTERN_MARKS and (name, cited) not in EXAMPLES
                and not repository.resolves(name, cited))
    assert not (found := findings(repository, REPOSITORY_PATH, missing)), (
        "cited paths that are not in the repository:\n" + found)


def test_every_cited_markdown_document_is_in_the_repository(repository):
    def missing(name, match):
        return match.group(1) not in repository.basenames
    assert not (found := findings(repository, MARKDOWN_NAME, missing)), (
        "documents cited that are not in the repository:\n" + found)


def test_markdown_links_stay_inside_the_repository(repository):
    def broken(name, match):
        target = match.group(1).split("#", 1)[0]
        if not target or re.match(r"^[a-z][a-z0-9+.\-]*:", target) or target.startswith("/"):
            return False  # a URL, an anchor in the same page or a path on the site
        return outside_the_repository(name, target) or not repository.has(
            str((REPO / name).parent.joinpath(target).resolve().relative_to(REPO)))
    assert not (found := findings(repository, MARKDOWN_LINK, broken, suffix=".md")), (
        "links to files that are not in the repository:\n" + found)


def test_no_relative_path_leads_outside_the_repository(repository):
    def outside(name, match):
        return outside_the_repository(name, match.group(1))
    assert not (found := findings(repository, CLIMBING_PATH, outside)), (
        "paths outside the repository:\n" + found)


def test_the_checks_see_a_missing_path_a_pattern_and_a_module_path(repository):
    assert not repository.resolves("README.md", "docs/decisions/" + "9999-nothing" + ".md")
    assert repository.resolves("README.md", "docs/decisions/0001")
    assert repository.resolves("deploy/run_stack.py", "gateway/settings.py")
    assert repository.resolves("services/exams/exams/service.py", "tests")
    assert REPOSITORY_PATH.search("docs/rpc/<service>.md").group(2) in PATTERN_MARKS
    assert REPOSITORY_PATH.search("services/<name>/") is None
    assert outside_the_repository("README.md", "../" + "shared/CONTRACTS.md")
    assert not outside_the_repository("docs/decisions/0001-foundation.md", ".." + "/../README.md")
