"""Huge and adversarial email addresses are refused at once, by every form that takes one."""

from __future__ import annotations

import time

import pytest

from fvs.accounts.emails import MAX_EMAIL, normalise_email
from fvs.errors import ValidationFailed
from tests.accounts.web_helpers import PASSWORD, form_token

# Shapes that make backtracking email regexes go quadratic or worse.
ADVERSARIAL = [
    "a" * 40_000 + "@example.com",
    "a@" + "a." * 20_000,
    "a" * 40_000,
    "@" * 40_000,
    "a." * 20_000 + "@b.c",
    "a@" + "a-" * 20_000 + "b.c",
]


@pytest.mark.parametrize("email", [*ADVERSARIAL, "x" * 10_000_000, "a@b." + "c" * 10_000_000])
def test_the_validator_refuses_huge_addresses_naming_email(email):
    # A generous cap: a backtracking regex over these takes seconds, not milliseconds.
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as refused:
        normalise_email(email)
    assert refused.value.field == "email"
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" Maker@Example.com ", "maker@example.com"),
        ("first.last+tag@studio.local", "first.last+tag@studio.local"),
        ("o'brien@example.test", "o'brien@example.test"),
        ("jos\u00e9@exampl\u00e9.com", "jos\u00e9@exampl\u00e9.com"),
        ("a" * 64 + "@" + "b" * 63 + ".com", "a" * 64 + "@" + "b" * 63 + ".com"),
    ],
)
def test_ordinary_addresses_are_normalised(given, stored):
    assert normalise_email(given) == stored


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not-an-email",
        "a@b",
        "a@@b.com",
        "a b@example.com",
        ".a@example.com",
        "a..b@example.com",
        "a@example..com",
        "a@-example.com",
        "a@example.com.",
        "a@127.0.0.1",
        "a\x00@example.com",
        "a" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
        "a@" + "b." * 130 + "com",
    ],
)
def test_malformed_addresses_are_refused(email):
    with pytest.raises(ValidationFailed) as refused:
        normalise_email(email)
    assert refused.value.field == "email"


def test_a_sign_in_with_a_huge_email_is_a_422_naming_email(client):
    response = client.post(
        "/api/account/session", json={"email": "a" * 40_000 + "@x.com", "password": PASSWORD}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "email"


@pytest.mark.parametrize("page", ["/login", "/signup"])
def test_the_forms_refuse_a_huge_email_without_echoing_it(client, page):
    token = form_token(client, page)
    huge = "a" * 40_000 + "@x.com"
    response = client.post(page, data={"email": huge, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 400
    assert f"at most {MAX_EMAIL} characters" in response.text
    assert len(response.text) < 20_000  # the page holds the refusal, not the 40 kB address
