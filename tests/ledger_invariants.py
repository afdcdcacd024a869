"""Ledger checks run after every test that built a studio: the `fvs ledger check` audit."""

from __future__ import annotations

from fvs.billing.audit import audit
from fvs.studio import Studio


def assert_ledger_consistent(studio: Studio) -> None:
    """Every rule `fvs ledger check` enforces holds on the studio's database."""
    with studio.db.read() as session:
        report = audit(session)
    assert report.ok, "\n".join(str(breach) for breach in report.breaches)
