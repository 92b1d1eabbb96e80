"""Resident actions beyond editing: anonymising."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.params import FromPath
from litestar.response import Redirect

from council.people.anonymise import anonymise_person
from council.web.guards import client_ip, signed_in


@post("/people/{person_id:int}/anonymise", guards=[signed_in])
async def anonymise_page(request: Request, person_id: FromPath[int]) -> Any:
    await anonymise_person(request.user, person_id, ip=client_ip(request))
    return Redirect(f"/people/{person_id}?saved=1", status_code=303)


@post("/people/{person_id:int}/anonymise", guards=[signed_in], status_code=204,
      summary="Anonymise a resident: blank name, phone, ID number and note for good")
async def anonymise_api(request: Request, person_id: FromPath[int]) -> None:
    await anonymise_person(request.user, person_id, ip=client_ip(request))


PAGE_ROUTES = [anonymise_page]
API_ROUTES = [anonymise_api]
