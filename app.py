"""Candor's API: a Chalice app with one Blueprint per actor (protocol §4).

Routes live in ``chalicelib/routes``; the domain in ``chalicelib/domain``
knows nothing of HTTP. No boto3 here: storage is opened lazily by
``chalicelib.http.runtime`` from the environment (``chalicelib.config``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from chalice.app import Chalice, Rate

from chalicelib.anonymize import scrub_event
from chalicelib.domain import notify, retention
from chalicelib.http import conform, runtime
from chalicelib.routes import inbox, intake, notices, reporter, team


class CandorApp(Chalice):
    """Chalice keeps the current request on the app object. Lambda runs one
    request at a time, but ``candor serve`` answers requests in threads, so
    the request and Lambda context are kept per thread."""

    _per_thread = threading.local()

    @property
    def current_request(self) -> Any:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Any) -> None:
        self._per_thread.request = value

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        """The app sees no address, user agent or viewer header (protocol §1);
        every answer is in protocol §4.1's shape, Chalice's own ones included."""
        return conform(super().__call__(scrub_event(event), context))

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value


app = CandorApp(app_name="candor")
app.debug = False
# Only our own lines (route, status, latency, member id); never request data.
app.log.setLevel(logging.INFO)
logging.getLogger("candor").setLevel(logging.INFO)
app.register_blueprint(reporter.bp)
app.register_blueprint(team.bp)
app.register_blueprint(inbox.bp)
app.register_blueprint(notices.bp)
app.register_blueprint(intake.bp)


@app.schedule(Rate(1, unit=Rate.HOURS))
def housekeeping(event: object) -> dict[str, int]:
    """Hourly: purge closed cases past retention and sweep unclaimed uploads
    (protocol §4.7); in the digest's hour, once a day, send the team its
    digest of counts, if it asked to be told."""
    done = {"purged": retention.run(runtime.ctx)}
    settings = runtime.settings
    if settings.notify_topic:
        publish = notify.sns_publisher(settings.notify_topic)
        done["digest"] = int(notify.run(runtime.ctx, publish, settings.digest) is not None)
    return done
