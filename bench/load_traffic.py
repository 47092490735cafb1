"""The load's clients: a recording HTTP transport under Candor's own
``ApiClient``, and the reporter and team workers that drive it.

Every request goes through :class:`LoadTransport`, which times it, sorts
its answer (``ok``, ``throttled`` for a clean 429, or an error kind) and
keeps every request the server acknowledged (2xx) and every one whose fate
is unknown (no answer, or a 5xx): that list is the client-side ledger
``bench/load_ledger.py`` reconciles with storage afterwards.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from candor import reporter, teamops
from candor.client import ApiClient, ApiError
from candor.keyfile import KeyFile
from candor.puzzle import solve
from candor.receipt import Receipt
from chalicelib import puzzle

FORM = {"category": "fraud", "summary": "Invoices paid twice",
        "details": "The same supplier invoice was paid on the 3rd and on the 17th."}
TIMEOUT = 30.0
# A clean 429 is retried after its Retry-After, at most this many times and
# never waiting longer than RETRY_CAP seconds at once (a load run is bounded).
MAX_RETRIES = 30
RETRY_CAP = 2.0
PUZZLE_ROUNDS = 3  # proofs per request before waiting as Retry-After says
_ID = re.compile(r"/([a-z])_[A-Za-z0-9_-]{20,43}")
_NAMES = {"c": "{case}", "b": "{blob}", "a": "{attachment}", "m": "{member}", "e": "{entry}"}


def route_of(method: str, target: str) -> str:
    """``POST /v1/team/cases/{case}/messages``: the target without ids or query."""
    parts = urlsplit(target)
    path = _ID.sub(lambda m: "/" + _NAMES.get(m.group(1), "{id}"), parts.path)
    if parts.netloc:  # a presigned object-storage URL: its bucket and prefix vary
        path = "storage:…/" + path.rsplit("/", 1)[-1]
    return f"{method} {path}"


class TransportFailed(Exception):
    """No usable answer: the connection failed, or only 429s came back."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class Sent:
    """One request as the client sent it, and the answer's status."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    status: int
    answer: bytes


@dataclass
class Recorder:
    """Every attempt's route, outcome and latency; the acknowledged and
    unknown-fate requests of all workers (the ledger)."""

    attempts: list[tuple[str, str, float]] = field(default_factory=list)
    acked: list[Sent] = field(default_factory=list)
    uncertain: list[Sent] = field(default_factory=list)
    client_errors: list[str] = field(default_factory=list)
    puzzles: list[int] = field(default_factory=list)  # the bits of each puzzle solved
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, route: str, outcome: str, ms: float) -> None:
        with self.lock:
            self.attempts.append((route, outcome, ms))

    def keep(self, sent: Sent, *, acked: bool) -> None:
        with self.lock:
            (self.acked if acked else self.uncertain).append(sent)

    def solved(self, bits: int) -> None:
        with self.lock:
            self.puzzles.append(bits)

    def client_error(self, kind: str) -> None:
        with self.lock:
            self.client_errors.append(kind)


# A clean 429 (protocol §4.1): Retry-After, and the shape and code of a refusal
# for load; ``puzzle_required`` also carries its challenge.
CLEAN_429 = {"throttled": None, "puzzle_required": puzzle.CHALLENGE_HEADER}


def outcome_of(status: int, headers: http.client.HTTPMessage, payload: bytes) -> str:
    """``ok``, ``throttled`` (a clean 429) or the error's kind,
    ``<status> <code>``."""
    if status < 400:
        return "ok"
    try:
        code = str(json.loads(payload)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        code = "not-protocol-shape"
    if status != 429 or code not in CLEAN_429:
        return f"{status} {code}"
    if not headers.get("Retry-After", "").isdigit():
        return f"429 {code} without Retry-After"
    needs = CLEAN_429[code]
    if needs is not None and not headers.get(needs):
        return f"429 {code} without {needs}"
    return "throttled"


class LoadTransport:
    """``candor.client.Transport`` over kept-alive ``http.client``
    connections, one per origin; one instance per worker thread."""

    def __init__(self, base_url: str, recorder: Recorder, deadline: float) -> None:
        self.base_url = base_url
        self.recorder = recorder
        self.deadline = deadline
        self._conns: dict[tuple[str, str], http.client.HTTPConnection] = {}

    def send(self, method: str, target: str, headers: Mapping[str, str],
             body: bytes) -> tuple[int, bytes]:
        url = target if "://" in target else self.base_url.rstrip("/") + target
        route, headers, puzzles = route_of(method, target), dict(headers), 0
        for _ in range(MAX_RETRIES):
            start = time.perf_counter()
            try:
                status, answer_headers, payload = self._exchange(method, url, headers, body)
            except (OSError, http.client.HTTPException) as exc:
                kind = f"connection: {type(exc).__name__}"
                self.recorder.attempt(route, kind, (time.perf_counter() - start) * 1000)
                if not isinstance(exc, ConnectionRefusedError):  # else it never arrived
                    self.recorder.keep(Sent(method, target, dict(headers), body, 0, b""),
                                       acked=False)
                raise TransportFailed(kind) from None
            outcome = outcome_of(status, answer_headers, payload)
            self.recorder.attempt(route, outcome, (time.perf_counter() - start) * 1000)
            if outcome != "throttled":
                if status < 300 or status >= 500:
                    self.recorder.keep(Sent(method, target, dict(headers), body, status, payload),
                                       acked=status < 300)
                return status, payload
            challenge = answer_headers.get(puzzle.CHALLENGE_HEADER)
            if challenge and puzzles < PUZZLE_ROUNDS:
                # As the CLI's client does: the proof is the wait (protocol §4.1).
                puzzles += 1
                proof = solve(puzzle.parse_challenge(challenge), method, urlsplit(url).path, body)
                headers[puzzle.PROOF_HEADER] = proof.header()
                self.recorder.solved(proof.bits)
                continue
            wait = min(int(answer_headers["Retry-After"]), RETRY_CAP)
            time.sleep(max(0.05, wait * random.uniform(0.5, 1.0)))
            if time.monotonic() > self.deadline:
                break
        raise TransportFailed("gave up after clean 429s")

    def _exchange(self, method: str, url: str, headers: Mapping[str, str],
                  body: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        parts = urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        conn = self._conns.get(origin)
        if conn is None:
            factory = (http.client.HTTPSConnection if parts.scheme == "https"
                       else http.client.HTTPConnection)
            conn = self._conns[origin] = factory(parts.netloc, timeout=TIMEOUT)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path, body=body or None, headers=dict(headers))
            resp = conn.getresponse()
            payload = resp.read()
        except BaseException:
            conn.close()
            del self._conns[origin]
            raise
        if resp.will_close:
            conn.close()
            del self._conns[origin]
        return resp.status, resp.headers, payload

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self._conns.clear()


class LoadClient(ApiClient):
    """Candor's ApiClient with uploads and downloads through the same
    recording transport (the library's own go through urllib)."""

    transport: LoadTransport

    def upload(self, upload: Mapping[str, Any], data: bytes) -> None:
        self._transfer(upload["method"], upload["url"], dict(upload.get("headers") or {}), data)

    def download(self, url: str) -> bytes:
        return self._transfer("GET", url, {}, b"")

    def _transfer(self, method: str, url: str, headers: dict[str, str], data: bytes) -> bytes:
        status, payload = self.transport.send(method, url, headers, data)
        if status >= 300:
            raise ApiError(status, "storage_refused", "object storage refused")
        return payload


# -- workers -------------------------------------------------------------------------
@dataclass
class Workload:
    """How much each worker does; every loop also stops at ``deadline``."""

    reporters: int = 8
    members: int = 2
    cases: int = 2  # reports each reporter submits
    visits: int = 3  # follow-up visits (open, rotate, thread, message) per case
    reads: int = 20  # cases each member reads
    reply_share: float = 0.5  # of the cases read, how many get a reply
    attachments: tuple[int, int] = (1, 2)  # per report, inclusive
    attachment_kib: tuple[int, int] = (1, 64)
    seconds: float = 60.0
    seed: int = 1


@dataclass
class ReporterCase:
    """What a reporter keeps between visits: the current receipt, and the
    visit secret once a visit rotated (protocol §3.3)."""

    receipt: Receipt
    visit: bytes | None = None
    visits: int = 0
    done: bool = False


def run_reporter(url: str, manifest: Mapping[str, Any], load: Workload, index: int,
                 recorder: Recorder, deadline: float, kept: list[ReporterCase]) -> None:
    """Submit ``load.cases`` reports (with attachments) and visit each
    ``load.visits`` times, in a random order; stop using a case after any
    failure (its fate is for the reconciliation to check)."""
    rng = random.Random(load.seed * 1000 + index)
    transport = LoadTransport(url, recorder, deadline)
    api = LoadClient(transport)
    mine: list[ReporterCase] = []
    submits = load.cases
    while time.monotonic() < deadline:
        open_cases = [c for c in mine if not c.done and c.visits < load.visits]
        if not submits and not open_cases:
            break
        if submits and (not open_cases or rng.random() < 0.5):
            submits -= 1
            _guarded(recorder, lambda: mine.append(_submit(api, manifest, load, rng)))
            continue
        case = rng.choice(open_cases)
        if not _guarded(recorder, functools.partial(_visit, api, manifest, case, rng)):
            case.done = True
    transport.close()
    with recorder.lock:
        kept.extend(mine)


def _submit(api: LoadClient, manifest: Mapping[str, Any], load: Workload,
            rng: random.Random) -> ReporterCase:
    files = [reporter.Evidence(f"evidence-{n}.bin",
                               os.urandom(1024 * rng.randint(*load.attachment_kib)))
             for n in range(rng.randint(*load.attachments))]
    return ReporterCase(reporter.submit(api, manifest, FORM, files=files).receipt)


def _visit(api: LoadClient, manifest: Mapping[str, Any], case: ReporterCase,
           rng: random.Random) -> None:
    case.visits += 1
    visit = reporter.follow_up(api, case.receipt, manifest)
    case.receipt, case.visit = visit.receipt, visit.visit
    visit.thread()
    visit.send(f"Follow-up {case.visits}: {rng.randrange(10**6)}")


def run_member(url: str, manifest: Mapping[str, Any], key: KeyFile, load: Workload,
               index: int, recorder: Recorder, deadline: float,
               reporters_done: threading.Event) -> None:
    """``load.reads`` times: list the cases, read one at random, reply to
    some. Waits for a first case while the reporters are still at work."""
    rng = random.Random(load.seed * 1000 + 500 + index)
    transport = LoadTransport(url, recorder, deadline)
    api = LoadClient(transport, key)
    session: list[teamops.Session] = []
    if not _guarded(recorder, lambda: session.append(teamops.Session(api, key, manifest))):
        return
    reads = 0
    while reads < load.reads and time.monotonic() < deadline:
        cases: list[dict[str, Any]] = []
        if not _guarded(recorder, functools.partial(_extend, cases, session[0])):
            reads += 1
            continue
        if not cases:
            if reporters_done.is_set():
                break
            time.sleep(0.05)
            continue
        reads += 1
        _guarded(recorder, functools.partial(_read_and_reply, session[0], cases, load, rng))
    transport.close()


def _extend(cases: list[dict[str, Any]], s: teamops.Session) -> None:
    cases.extend(list_cases(s))


def _read_and_reply(s: teamops.Session, cases: Sequence[Mapping[str, Any]], load: Workload,
                    rng: random.Random) -> None:
    view = teamops.read_case(s, rng.choice(cases)["id"])
    if rng.random() < load.reply_share:
        teamops.write(s, view, "message", f"Thank you, we are looking into it ({rng.random()}).")


def list_cases(s: teamops.Session) -> list[dict[str, Any]]:
    """Every case, page by page (``GET /v1/team/cases``)."""
    out: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = s.get("/v1/team/cases", cursor=cursor)
        out += page["cases"]
        cursor = page["cursor"] or ""
        if not cursor:
            return out


def _guarded(recorder: Recorder, step: Callable[[], object]) -> bool:
    """Run one step; an answered error or a failed connection is already
    recorded by the transport, anything else is the client's own failure."""
    try:
        step()
        return True
    except (ApiError, TransportFailed):
        return False
    except Exception as exc:  # a client-side check failed: counted, never hidden
        recorder.client_error(f"client: {type(exc).__name__}: {str(exc)[:80]}")
        return False


def run_workload(url: str, manifest: Mapping[str, Any], members: Sequence[KeyFile],
                 load: Workload, recorder: Recorder) -> tuple[float, list[ReporterCase]]:
    """All workers at once; the wall time they took and the reporters' cases."""
    deadline = time.monotonic() + load.seconds
    kept: list[ReporterCase] = []
    done = threading.Event()
    reporters = [threading.Thread(target=run_reporter,
                                  args=(url, manifest, load, n, recorder, deadline, kept))
                 for n in range(load.reporters)]
    team = [threading.Thread(target=run_member,
                             args=(url, manifest, members[n % len(members)], load, n, recorder,
                                   deadline, done))
            for n in range(load.members)]
    start = time.perf_counter()
    for t in [*reporters, *team]:
        t.start()
    for t in reporters:
        t.join()
    done.set()
    for t in team:
        t.join()
    return time.perf_counter() - start, kept
