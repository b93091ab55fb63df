"""The certification catalog as the certs service holds it, and reloading it.

Reloading reads the catalog files again; a file that does not validate is
refused with the certs service's message naming the file and line, and the
catalog in use stays as it was. A reload that changes rules re-evaluates
every affected candidate (certs reports how many).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from nameko.exceptions import RemoteError

from ..certifications import client as certs
from ..certifications.client import message
from . import access, blueprint


@blueprint.get("/catalog")
def catalog():
    return render_template("staff/catalog.html", catalog=certs.catalog(), refusal=None)


@blueprint.post("/catalog/reload")
def reload_catalog():
    try:
        result = certs.reload_catalog(staff=access.current_staff()["email"])
    except RemoteError as error:
        if error.exc_type != "CatalogInvalid":
            raise
        refusal = message(error) or "The catalog did not validate."
        return render_template("staff/catalog.html", catalog=certs.catalog(), refusal=refusal), 422
    flash(f"Catalog reloaded ({', '.join(result['programs'])}): {result['changes']} "
          f"{'change' if result['changes'] == 1 else 'changes'}, {result['candidates_reevaluated']} "
          f"{'candidate' if result['candidates_reevaluated'] == 1 else 'candidates'} re-evaluated.", "success")
    return redirect(url_for("staff.catalog"))
