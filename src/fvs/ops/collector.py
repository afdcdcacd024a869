"""Gauges read from the database at scrape time: the cluster's truth, whichever replica answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fvs.billing import service as billing
from fvs.jobs import service as jobs
from fvs.renders import service as renders
from fvs.studio import Studio

log = logging.getLogger(__name__)


class StudioCollector(Collector):
    """Renders by status, jobs waiting per queue, and credits held, from the database."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio

    def collect(self) -> Iterator[Metric]:
        try:
            with self.studio.db.read() as session:
                by_status = renders.count_by_status(session)
                waiting = jobs.waiting_by_queue(session)
                held = billing.total_held(session)
        except Exception:  # a scrape must still answer; /readyz says what is down
            log.exception("reading metrics from the database failed")
            return
        statuses = GaugeMetricFamily("fvs_renders", "Renders by status.", labels=["status"])
        for status, count in sorted(by_status.items()):
            statuses.add_metric([status], count)
        depth = GaugeMetricFamily(
            "fvs_jobs_waiting",
            "Queued jobs not yet started, by queue and step.",
            labels=["queue", "step"],
        )
        for (queue, step), count in sorted(waiting.items()):
            depth.add_metric([queue, step], count)
        yield statuses
        yield depth
        yield GaugeMetricFamily("fvs_credits_held", "Credits held by unfinished renders.", held)
