"""The chores run in one worker at a time: the advisory lock, its hand-over, the relay and sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from fvs.db import Database
from fvs.jobs.housekeeping import CHORES_LOCK_KEY, Housekeeper, Leadership
from fvs.jobs.publisher import Publisher
from fvs.jobs.service import Delivery
from fvs.models import Job
from fvs.models.base import utcnow
from tests.jobs.queue import job_rows, submit_render


@pytest.fixture
def databases(settings):
    """Three connections to the test's database, as three worker processes hold them."""
    opened = [Database(settings.resolved_database_url) for _ in range(3)]
    yield opened
    for db in opened:
        db.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_one_process_leads_and_another_takes_over_when_its_connection_dies(studio, databases):
    first, second, admin = databases
    leader, other = Leadership(first), Leadership(second)
    assert leader.held() and leader.held()
    assert not other.held()
    # The leader's process dies: the server drops its connection, and the lock with it.
    with admin.engine.connect() as conn:
        # The holder of this database's chores lock only (other tests share the server), and
        # wait until it is gone (PostgreSQL 14+).
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND objid = :key AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": CHORES_LOCK_KEY},
        )
        conn.commit()
    assert other.held()
    assert not leader.held()
    other.release()
    assert leader.held()
    leader.release()


def test_on_sqlite_every_worker_process_leads(studio, databases):
    assert all(Leadership(db).held() for db in databases)


def chores(studio, sent: list[Delivery], swept: list[int]) -> Housekeeper:
    publisher = Publisher(db=studio.db, settings=studio.settings, send=sent.append)
    return Housekeeper(
        db=studio.db, settings=studio.settings, publisher=publisher, sweep=lambda: swept.append(1)
    )


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_only_the_leader_relays_and_sweeps(studio, databases):
    submit_render(studio)
    long_ago = utcnow() - timedelta(minutes=5)
    studio.db.transact(
        lambda s: s.execute(update(Job).values(published_at=long_ago, run_after=long_ago))
    )
    holder = Leadership(databases[0])
    assert holder.held()
    sent: list[Delivery] = []
    swept: list[int] = []
    housekeeper = chores(studio, sent, swept)
    housekeeper.tick()
    assert sent == [] and swept == []
    holder.release()
    housekeeper.tick()
    housekeeper.tick()  # the sweep waits its interval; the relay found nothing more
    assert [d.job_id for d in sent] == [row.id for row in job_rows(studio)]
    assert swept == [1]
    housekeeper.stop()
