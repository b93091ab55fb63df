"""The JSON API under `/api/v1`; its areas add their own blueprints beside this one."""
from __future__ import annotations

from flask import Blueprint, current_app

from .openapi import api_operation, document_for
from .schemas import OpenApiDocument

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")


@blueprint.get("/openapi.json")
@api_operation(response=OpenApiDocument, summary="This API described as OpenAPI 3.1.", tags=("meta",))
def openapi_document():
    return document_for(current_app)
