"""Password checks and session lifetimes at the service level, on the real database."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from fvs.accounts import service as accounts
from fvs.accounts import sessions
from fvs.errors import AppError, Conflict, ValidationFailed
from fvs.models import Account, WebSession
from fvs.models.base import utcnow

SECRET = b"test-secret"


def _account(studio, password: str | None = "first password") -> str:
    return studio.db.transact(
        lambda s: accounts.create_account(s, email="pat@example.com", password=password).id
    )


def test_authenticate_accepts_any_case_of_the_email(studio):
    account_id = _account(studio)
    found = studio.db.transact(
        lambda s: accounts.authenticate(s, email=" PAT@example.com ", password="first password")
    )
    assert found.id == account_id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("pat@example.com", "wrong password"),
        ("ghost@example.com", "first password"),
        ("not an email", "first password"),
    ],
)
def test_authenticate_gives_one_error_for_every_failure(studio, email, password):
    _account(studio)
    with pytest.raises(accounts.WrongCredentials) as caught:
        studio.db.transact(lambda s: accounts.authenticate(s, email=email, password=password))
    assert caught.value.to_json() == {
        "error": {
            "code": "wrong_credentials",
            "message": "email or password is wrong",
            "field": None,
        }
    }


def test_an_account_without_a_password_cannot_sign_in(studio):
    _account(studio, password=None)
    with pytest.raises(accounts.WrongCredentials):
        studio.db.transact(lambda s: accounts.authenticate(s, email="pat@example.com", password=""))


def test_a_weak_old_hash_is_upgraded_at_sign_in(studio):
    account_id = _account(studio)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash("first password")

    def weaken(session):
        session.get(Account, account_id).password_hash = weak

    studio.db.transact(weaken)
    studio.db.transact(
        lambda s: accounts.authenticate(s, email="pat@example.com", password="first password")
    )
    with studio.db.read() as session:
        upgraded = session.get(Account, account_id).password_hash
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)
    PasswordHasher().verify(upgraded, "first password")


def test_change_password_needs_the_current_one_and_eight_characters(studio):
    account_id = _account(studio)
    for current, new, field in (
        ("not the password", "long enough", "current_password"),
        ("first password", "short", "new_password"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            studio.db.transact(
                lambda s, c=current, n=new: accounts.change_password(
                    s, account_id=account_id, current=c, new=n
                )
            )
        assert caught.value.field == field


def test_expired_and_ended_sessions_resolve_to_nothing(studio):
    account_id = _account(studio)
    kept, other, stale = (
        studio.db.transact(
            lambda s: sessions.start_session(s, account_id=account_id, secret=SECRET)
        )
        for _ in range(3)
    )

    def expire(session):
        session.get(WebSession, stale.record.id).expires_at = utcnow() - timedelta(seconds=1)

    studio.db.transact(expire)

    def resolve(token):
        with studio.db.read() as session:
            return sessions.resolve_session(session, token=token, secret=SECRET)

    assert resolve(kept.token).account_id == account_id
    assert resolve(stale.token) is None
    assert resolve("made-up-token") is None and resolve(None) is None
    ended = studio.db.transact(
        lambda s: sessions.end_all_sessions_for(s, account_id=account_id, keep=kept.record.id)
    )
    assert ended == 2
    assert resolve(other.token) is None and resolve(kept.token) is not None
    studio.db.transact(lambda s: sessions.end_session(s, token=kept.token, secret=SECRET))
    assert resolve(kept.token) is None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_sign_ups_racing_for_one_email_give_one_account_and_a_409(studio):
    """Both pass the "is it taken?" check; the loser gets 409, never a database error."""
    first_flushed = threading.Event()
    outcomes: list[object] = []

    def first() -> None:
        with studio.db.session() as session:
            accounts.create_account(session, email="race@example.com", password="password-1")
            first_flushed.set()
            time.sleep(0.5)  # hold the row uncommitted while the second inserts

    def second() -> None:
        first_flushed.wait(10)
        try:
            with studio.db.session() as session:
                accounts.create_account(session, email="race@example.com", password="password-2")
            outcomes.append("created")
        except AppError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 1 and isinstance(outcomes[0], Conflict), outcomes
    assert outcomes[0].field == "email"
    with studio.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 1
