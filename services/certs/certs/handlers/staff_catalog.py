"""The catalog as staff see it, and its reload.

A reload reads every YAML file again; if any fails, nothing changes and
`CatalogInvalid` names each problem's file and line. If all load, every
candidate with facts is re-evaluated under the new catalog and whatever
changed is announced like any other change (events + mails), in the same
transaction as the reload's RPC. The new catalog is this process's from
then on; other certs processes pick the files up when they restart (or on
their own reload).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certtrack_shared import view_generations
from certtrack_shared.clock import Clock

from certs.catalog import Catalog
from certs.catalog.loaded import LoadedCatalogs
from certs.handlers import standings
from certs.models import Candidate
from certs.rules.describe import describe
from certs.schemas import CatalogReload


def program_view(catalog: Catalog, catalogs: LoadedCatalogs) -> dict:
    return {
        "program": catalog.program,
        "name": catalog.name,
        "source": catalogs.source(catalog.program),
        "loaded_at": catalogs.loaded_at.isoformat(),
        "exams": [exam.model_dump(mode="json", include={"code", "title", "kind", "level", "track", "retired_on"})
                  for exam in catalog.exams],
        "certifications": [
            {
                "id": c.id, "name": c.name, "level": c.level, "track": c.track,
                "validity_years": c.validity_years,
                "requirements": describe(c.requirements, catalog),
                "recertification": [{"name": p.name, "description": describe(p.requires, catalog)}
                                    for p in c.recertification],
                "prerequisites": list(c.prerequisites),
                "kit": [item.model_dump(mode="json") for item in c.kit],
            }
            for c in catalog.certifications
        ],
    }


def catalog(catalogs: LoadedCatalogs) -> dict:
    return {"programs": [program_view(catalogs.by_program[name], catalogs)
                         for name in sorted(catalogs.by_program)]}


def reload(session: Session, outbox, catalogs: LoadedCatalogs, clock: Clock) -> CatalogReload:
    catalogs.reload()  # CatalogInvalid leaves the old catalogs in place
    # Names, requirements and paths may all have changed: no kept page reply stays.
    view_generations.everyone_changed(session)
    candidate_ids = session.scalars(
        select(Candidate.candidate_id).where(Candidate.program.in_(list(catalogs.by_program)))
        .order_by(Candidate.candidate_id)
    ).all()
    changes = 0
    for candidate_id in candidate_ids:
        changes += len(standings.reevaluate(session, outbox, catalogs, clock, candidate_id))
    return CatalogReload(programs=sorted(catalogs.by_program), candidates_reevaluated=len(candidate_ids),
                         changes=changes)
