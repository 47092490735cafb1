"""Every refusal of protocol §4.3 (team request signatures), on every backend."""

from __future__ import annotations

import json

import pytest

from candor.client import ApiClient, ApiError
from chalicelib.httpsig import sign_request
from tests.support.team import Api, Member


def _send(api: Api, method: str, path: str, headers: dict[str, str], body: bytes = b"",
          target: str | None = None) -> tuple[int, dict[str, object]]:
    status, payload = api.transport.send(method, target or path, headers, body)
    return status, json.loads(payload) if payload else {}


def _signed(member: Member, method: str = "GET", path: str = "/v1/team/cases",
            body: bytes = b"", **kw: object) -> dict[str, str]:
    headers = sign_request(method, path, {}, body, member_id=member.id,
                           seed=member.key.signing_seed, **kw)  # type: ignore[arg-type]
    if body:
        headers["Content-Type"] = "application/json"
    return headers


def _code(answer: tuple[int, dict[str, object]]) -> tuple[int, object]:
    status, body = answer
    return status, body.get("error", {}).get("code") if isinstance(body.get("error"), dict) \
        else None


def test_a_good_signature_works_once(api: Api) -> None:
    headers = _signed(api.team.admin)
    assert _send(api, "GET", "/v1/team/cases", headers)[0] == 200
    assert _code(_send(api, "GET", "/v1/team/cases", headers)) == (401, "nonce_replayed")


def test_missing_or_broken_signatures(api: Api) -> None:
    assert _code(_send(api, "GET", "/v1/team/cases", {})) == (401, "bad_signature")
    headers = _signed(api.team.admin)
    sig = headers["Signature"]
    broken = {**headers, "Signature": sig[:12] + ("A" if sig[12] != "A" else "B") + sig[13:]}
    assert _code(_send(api, "GET", "/v1/team/cases", broken)) == (401, "bad_signature")
    garbage = {**headers, "Signature-Input": "candor=((("}
    assert _code(_send(api, "GET", "/v1/team/cases", garbage)) == (401, "bad_signature")


def test_signature_over_another_route_or_query(api: Api) -> None:
    headers = _signed(api.team.admin, path="/v1/team/members")
    assert _code(_send(api, "GET", "/v1/team/cases", headers)) == (401, "bad_signature")
    headers = _signed(api.team.admin)  # signed without a query, sent with one
    answer = _send(api, "GET", "/v1/team/cases", headers, target="/v1/team/cases?status=closed")
    assert _code(answer) == (401, "bad_signature")


@pytest.mark.parametrize("change", [
    lambda s: s.replace('"@query"', ""),
    lambda s: s.replace(';alg="ed25519"', ""),
    lambda s: s.replace('tag="candor/v1"', 'tag="other"'),
    lambda s: s.replace("candor=", "other="),
    lambda s: s + ';expires=99999999999',
])
def test_profile_is_exact(api: Api, change: object) -> None:
    headers = _signed(api.team.admin)
    headers["Signature-Input"] = change(headers["Signature-Input"])  # type: ignore[operator]
    assert _code(_send(api, "GET", "/v1/team/cases", headers)) == (401, "bad_signature")


def test_clock_skew(api: Api) -> None:
    for offset in (-301, 301):
        headers = _signed(api.team.admin, created=int(api.clock.time()) + offset)
        status, body = _send(api, "GET", "/v1/team/cases", headers)
        assert (status, body["error"]["code"]) == (401, "clock_skew")  # type: ignore[index]
    headers = _signed(api.team.admin, created=int(api.clock.time()) - 290)
    assert _send(api, "GET", "/v1/team/cases", headers)[0] == 200


def test_digest_must_match_the_body(api: Api) -> None:
    body = json.dumps({"status": "investigating"}).encode()
    headers = _signed(api.team.admin, "PATCH", "/v1/team/cases/c_AAAAAAAAAAAAAAAAAAAAAA", body)
    other = json.dumps({"status": "closed"}).encode()
    answer = _send(api, "PATCH", "/v1/team/cases/c_AAAAAAAAAAAAAAAAAAAAAA", headers, other)
    assert _code(answer) == (401, "bad_signature")
    del headers["Content-Digest"]
    answer = _send(api, "PATCH", "/v1/team/cases/c_AAAAAAAAAAAAAAAAAAAAAA", headers, body)
    assert _code(answer) == (401, "bad_signature")


def test_unknown_and_removed_members(api: Api) -> None:
    from candor import keyfile as kf

    stranger = kf.create_keyfile("")
    client = ApiClient(api.transport, stranger)
    with pytest.raises(ApiError) as exc:
        client.call("GET", "/v1/team/cases")
    assert (exc.value.status, exc.value.code) == (401, "unknown_member")

    alan = api.team.by_name("Alan")
    api.as_member(api.team.admin).call("DELETE", f"/v1/team/members/{alan.id}")
    with pytest.raises(ApiError) as exc:
        api.as_member(alan).call("GET", "/v1/team/cases")
    assert (exc.value.status, exc.value.code) == (401, "unknown_member")
    listed = api.as_member(api.team.admin).call("GET", "/v1/team/members")["members"]
    assert [m["removed"] for m in listed if m["id"] == alan.id] == [True]


def test_roles(api: Api) -> None:
    reviewer = api.as_member(api.team.by_name("Grace"))
    for method, path in (("GET", "/v1/team/audit"),
                         ("DELETE", f"/v1/team/members/{api.team.admin.id}")):
        with pytest.raises(ApiError) as exc:
            reviewer.call(method, path)
        assert (exc.value.status, exc.value.code) == (403, "forbidden")
    with pytest.raises(ApiError) as exc:
        reviewer.call("PUT", "/v1/team/manifest", {"version": 2})
    assert (exc.value.status, exc.value.code) == (403, "forbidden")


def test_a_nonce_outlives_its_signature(api: Api) -> None:
    """A signature dated 300 s ahead is acceptable for 600 s: its nonce must
    be remembered at least that long."""
    headers = _signed(api.team.admin, created=int(api.clock.time()) + 300)
    assert _send(api, "GET", "/v1/team/cases", headers)[0] == 200
    api.clock.advance(600)
    assert _code(_send(api, "GET", "/v1/team/cases", headers)) == (401, "nonce_replayed")
    api.clock.advance(1)
    assert _code(_send(api, "GET", "/v1/team/cases", headers)) == (401, "clock_skew")


def test_a_rotation_keeps_the_recipient_type(api: Api) -> None:
    from candor import keyfile as kf
    from chalicelib.age.recipient_types import X25519

    grace = api.team.by_name("Grace")
    rotated, old_seed = kf.rotate_keys(grace.key)
    classic = kf.create_keyfile("", kind=X25519)
    entry = kf.public_card(
        kf.KeyFile(grace.id, classic.identities, rotated.signing_seed, ""),
        grace.name, grace.function, grace.role, grace.card, old_seed)
    with pytest.raises(ApiError) as exc:
        ApiClient(api.transport, grace.key, clock=api.clock.time).call(
            "PUT", f"/v1/team/members/{grace.id}", entry)
    assert (exc.value.status, exc.value.code) == (422, "invalid_manifest")
