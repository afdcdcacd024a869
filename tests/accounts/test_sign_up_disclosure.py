"""Sign-up does not tell a stranger who has an account beyond the documented 409."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from fvs.accounts import service as accounts
from fvs.errors import Conflict, ValidationFailed
from tests.accounts.web_helpers import PASSWORD, form_token, new_email, second_browser, sign_up


def _sign_up(studio, email: str, password: str) -> None:
    studio.db.transact(
        lambda s: accounts.sign_up(s, email=email, password=password, secret=b"secret")
    )


def test_a_weak_password_is_the_same_422_whether_or_not_the_email_is_taken(studio):
    taken = new_email()
    _sign_up(studio, taken, PASSWORD)
    answers = []
    for email in (taken, new_email()):
        with pytest.raises(ValidationFailed) as refused:
            _sign_up(studio, email, "short")
        answers.append(refused.value.to_json())
    assert answers[0] == answers[1]
    assert answers[0]["error"]["field"] == "password"


def test_a_taken_email_pays_for_the_same_argon2_hash_as_a_new_account(studio, monkeypatch):
    taken = new_email()
    _sign_up(studio, taken, PASSWORD)
    hashed: list[str] = []

    class CountingHasher(PasswordHasher):
        def hash(self, password: str | bytes, **kwargs: object) -> str:
            hashed.append(str(password))
            return super().hash(password)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    with pytest.raises(Conflict):
        _sign_up(studio, taken, "another strong password")
    _sign_up(studio, new_email(), "another strong password")
    assert len(hashed) == 2  # one for the refusal, one for the new account


def test_the_signup_form_answers_a_weak_password_alike_for_taken_and_new_emails(client):
    taken = sign_up(client)
    stranger = second_browser(client)
    pages = []
    for email in (taken, new_email()):
        token = form_token(stranger, "/signup")
        response = stranger.post(
            "/signup", data={"email": email, "password": "short", "csrf_token": token}
        )
        pages.append((response.status_code, response.text.replace(email, "EMAIL")))
    assert pages[0] == pages[1]
    assert pages[0][0] == 400 and "at least 8 characters" in pages[0][1]
