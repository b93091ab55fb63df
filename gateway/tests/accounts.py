"""Who the gateway tests sign in as, and how: candidates Ada and Grace (the
`ada`, `grace`, `as_ada` fixtures in conftest.py), the API's bearer tokens, and
staff members Sam, an administrator (the `staff` fixture), and Suki, in support. Test modules import it relatively
(`from .accounts import PASSWORD`): pytest names them `gateway.tests.…`."""
from __future__ import annotations

import re

from gateway.staff import access

PASSWORD = "correct horse battery staple"  # Ada's, and that of any candidate a test adds
OTHER_PASSWORD = "a different long passphrase"  # Grace's: one candidate's password never opens another's account

# Sam administers the program (every staff page); Suki works in support (staff/access.py's roles).
STAFF = {"id": 7, "email": "sam@certtrack.example", "name": "Sam Admin", "role": "admin"}
SUPPORT_STAFF = {"id": 8, "email": "suki@certtrack.example", "name": "Suki Support", "role": "support"}


def bearer(client, login: str, password: str = PASSWORD) -> dict:
    """The Authorization header of an API token for `login`."""
    response = client.post("/api/v1/auth/token", json={"login": login, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def api_error(response, status: int, code: str) -> dict:
    """The API's error object, once it is checked to have the status, the shape and the code."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json["error"]) == {"code", "message", "fields"}
    assert response.json["error"]["code"] == code
    return response.json["error"]


def staff_signed_in(app, client, staff: dict = STAFF):
    """`client` with `staff`'s session cookie (Sam's unless told), as the staff login sets it
    (tests of the login form itself are in test_staff_console.py); identity, as the
    app's staff directory fakes it, knows them as they are in `staff`."""
    app.extensions["staff_directory"].add(staff)
    response = app.make_response("")
    with app.test_request_context():
        access.log_in(response, staff)
    client.set_cookie(access.COOKIE, response.headers["Set-Cookie"].split(";", 1)[0].split("=", 1)[1],
                      path="/staff")
    return client


def form_token(client, path: str = "/staff/login") -> str:
    """The CSRF token of the form on the page at `path`."""
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
