"""Candor's API: a Chalice app with one Blueprint per actor (SPEC §4).

Routes live in ``chalicelib/routes``; the domain in ``chalicelib/domain``
knows nothing of HTTP. No boto3 here: storage is opened lazily by
``chalicelib.http.runtime`` from the environment (``chalicelib.config``).
"""

from __future__ import annotations

import logging

from chalice import Chalice, Rate  # type: ignore[attr-defined]

from chalicelib.domain import retention
from chalicelib.http import runtime
from chalicelib.routes import reporter, team

app = Chalice(app_name="candor")
app.debug = False
# Only our own lines (route, status, latency, member id); never request data.
app.log.setLevel(logging.INFO)
logging.getLogger("candor").setLevel(logging.INFO)
app.register_blueprint(reporter.bp)
app.register_blueprint(team.bp)


@app.schedule(Rate(1, unit=Rate.DAYS))
def retention_job(event: object) -> dict[str, int]:
    """Daily: purge closed cases past retention, sweep unclaimed uploads (SPEC §4.7)."""
    return {"purged": retention.run(runtime.ctx)}
