"""Certification programs and their candidate ID prefixes.

A candidate ID is the program's prefix followed by 8 digits, allocated in
sequence from `FIRST_NUMBER` (`CSCO10000001`, `CSCO10000002`, …).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

FIRST_NUMBER = 10000001
LAST_NUMBER = 99999999


@dataclass(frozen=True)
class Program:
    code: str
    prefix: str
    name: str

    def candidate_id(self, number: int) -> str:
        if not FIRST_NUMBER <= number <= LAST_NUMBER:
            raise ValueError(f"candidate number {number} out of range for {self.code}")
        return f"{self.prefix}{number:08d}"


PROGRAMS: dict[str, Program] = {
    program.code: program
    for program in (
        Program("cisco", "CSCO", "Cisco"),
        Program("juniper", "JNPR", "Juniper Networks"),
    )
}

DEFAULT_PROGRAM = "cisco"

CANDIDATE_ID = re.compile(r"^[A-Z]{4}\d{8}$")


def get_program(code: str) -> Program | None:
    return PROGRAMS.get((code or "").strip().lower())


def looks_like_candidate_id(login: str) -> bool:
    return bool(CANDIDATE_ID.match((login or "").strip().upper()))
