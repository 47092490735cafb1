"""The daily digest's rules on every backend (issue 12): its hour only, once
a day however often the job runs, the manifest's expiry, and the switch
from the hourly count it replaced. The scripted week is test_digest.py."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

import pytest

from candor.reporter import submit
from chalicelib.config import Digest, load_settings
from chalicelib.domain import notify
from chalicelib.store import keys
from chalicelib.store.base import ABSENT, CaseStore
from tests.support.team import Api

HOUR, DAY = 3600, 86400
AT_EIGHT = Digest(hour=8)


def _at_hour(api: Api, hour: int) -> None:
    """Move the clock forward to the next ``hour`` o'clock UTC, plus 10 minutes."""
    now = int(api.clock.now)
    target = now - now % DAY + hour * HOUR + 600
    api.clock.now = float(target if target > now else target + DAY)


def _run(api: Api, sent: list[str], schedule: Digest = AT_EIGHT) -> notify.Tally | None:
    return notify.run(api.ctx, lambda subject, text: sent.append(text), schedule)


def test_sent_in_its_hour_once_a_day(api: Api) -> None:
    sent: list[str] = []
    _at_hour(api, 7)
    submit(api.anonymous, api.team.manifest, {"summary": "secret words"}, today=api.ctx.today())
    assert _run(api, sent) is None and sent == []  # 07:10: not yet
    api.clock.advance(HOUR)
    found = _run(api, sent)
    assert found is not None and found.new_reports == 1 and len(sent) == 1
    api.clock.advance(40 * 60)  # 08:50: the same hour, already sent
    assert _run(api, sent) is None
    api.clock.advance(HOUR)
    assert _run(api, sent) is None and len(sent) == 1
    api.clock.advance(DAY - 2 * HOUR)  # the next day at 07:50
    assert _run(api, sent) is None
    api.clock.advance(HOUR)
    found = _run(api, sent)
    assert found is not None and found.new_reports == 0 and len(sent) == 2


def test_the_hour_is_local_to_the_zone(api: Api) -> None:
    """09:00 in Tokyo (UTC+9, no summer time) is midnight UTC."""
    sent: list[str] = []
    tokyo = Digest(hour=9, zone="Asia/Tokyo")
    _at_hour(api, 23)
    assert _run(api, sent, tokyo) is None
    api.clock.advance(HOUR)
    assert _run(api, sent, tokyo) is not None and len(sent) == 1


class _Racing:
    """A store whose first read of the digest state lets another run send
    the digest before the read returns: both runs saw no digest today."""

    def __init__(self, store: Any, other: Any) -> None:
        self._store, self._other = store, other

    def get(self, key: Any) -> Any:
        item = self._store.get(key)
        if key == keys.DIGEST_STATE and self._other is not None:
            other, self._other = self._other, None
            other()
        return item

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_two_runs_at_once_send_one_digest(api: Api) -> None:
    from dataclasses import replace

    sent: list[str] = []
    _at_hour(api, 8)
    racing = replace(api.ctx, store=cast(CaseStore, _Racing(api.store, lambda: _run(api, sent))))
    assert notify.run(racing, lambda s, t: sent.append(t), Digest(hour=8)) is None
    assert len(sent) == 1  # the other run's; this one lost the conditional write


def test_the_manifest_line(api: Api) -> None:
    sent: list[str] = []
    expires = date.fromisoformat(api.team.manifest["expires"])
    _at_hour(api, 8)
    api.clock.advance(((expires - api.ctx.today()).days - notify.EXPIRY_WARN_DAYS - 1) * DAY)
    _run(api, sent)
    assert sent[-1].endswith(f"Team manifest: valid until {expires}.\n")
    api.clock.advance(DAY)
    _run(api, sent)
    assert sent[-1].endswith(f"Team manifest: expires in 14 days ({expires}): an admin must "
                             "renew it (candor manifest renew).\n")
    api.clock.advance(14 * DAY)
    _run(api, sent)
    assert "expires in 0 days" in sent[-1]
    api.clock.advance(DAY)
    _run(api, sent)
    assert f"expired on {expires}: nothing can be sent to the team" in sent[-1]
    assert len(sent) == 4


def test_the_first_digest_counts_from_the_hourly_count_it_replaced(api: Api) -> None:
    sent: list[str] = []
    _at_hour(api, 6)
    for _ in range(3):
        submit(api.anonymous, api.team.manifest, {"summary": "told"}, today=api.ctx.today())
    api.store.transact([keys.NOTIFY_STATE.put({"counts": {api.ctx.day(): 2}}, expect=ABSENT)])
    api.clock.advance(2 * HOUR)
    found = _run(api, sent)
    assert found is not None and found.new_reports == 1


@pytest.mark.parametrize(("hour", "zone", "error"), [
    ("24", "UTC", "CANDOR_DIGEST_HOUR"), ("-1", "UTC", "CANDOR_DIGEST_HOUR"),
    ("8h", "UTC", "CANDOR_DIGEST_HOUR"), ("8", "Mars/Olympus", "unknown time zone"),
    ("8", "../../etc/passwd", "unknown time zone"), ("8", "", "unknown time zone"),
])
def test_a_bad_hour_or_zone_is_refused(hour: str, zone: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        load_settings({"CANDOR_DIGEST_HOUR": hour, "CANDOR_DIGEST_ZONE": zone})


def test_the_digest_settings() -> None:
    assert load_settings({}).digest == Digest(8, "UTC")
    env = {"CANDOR_DIGEST_HOUR": "17", "CANDOR_DIGEST_ZONE": "Europe/Lisbon"}
    assert load_settings(env).digest == Digest(17, "Europe/Lisbon")
