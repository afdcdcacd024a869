"""The sign-in and sign-up forms parse a stranger's post within tight multipart limits."""

from __future__ import annotations

import pytest

from tests.accounts.web_helpers import PASSWORD, form_token, new_email


@pytest.mark.parametrize("page", ["/login", "/signup"])
def test_a_file_part_in_a_sign_in_form_is_refused(client, page):
    token = form_token(client, page)
    response = client.post(
        page,
        data={"email": new_email(), "password": PASSWORD, "csrf_token": token},
        files={"avatar": ("a.txt", b"x" * 1000, "text/plain")},
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "body"


def test_a_sign_in_form_with_many_fields_is_refused(client):
    token = form_token(client, "/login")
    data = {"email": new_email(), "password": PASSWORD, "csrf_token": token}
    data.update({f"extra{n}": "x" for n in range(20)})
    response = client.post("/login", data=data, files={"note": (None, "x")})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "body"
