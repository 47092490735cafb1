"""Tags and "same incident as…" links in Chromium against ``candor serve``
(issue 16): tags set in the case view are a signed, sealed note (the
server's copy holds no tag), the inbox filters by them without a request,
also after a new unlock, from the member's index; two cases linked, a note
on each side; one reply composed once reaches both reporters, each
decrypting their own copy with their own receipt."""

from __future__ import annotations

from typing import Any

import pytest

from candor import reporter, teamops
from candor.client import ApiClient, HttpTransport
from tests.browser.conftest import run_axe
from tests.browser.test_console import FORM, member, submit, unlock
from tests.browser.test_followup import _enter
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open(page: Any, case_id: str) -> None:
    page.click(f"#inbox-rows tr[data-case='{case_id}'] .case-link")
    page.wait_for_selector("#view-case:not([hidden]) #case-meta dd")
    page.wait_for_selector("#case-tags-box:not([hidden])")


def _shown(page: Any) -> list[str]:
    rows = page.locator("#inbox-rows tr[data-case]").all()
    return [str(r.get_attribute("data-case")) for r in rows]


def _cases(server: LiveServer, who: Any) -> dict[str, str]:
    s = server.session(who)
    ids = [c["id"] for c in server.team_get(who, "/v1/team/cases")["cases"]]
    return {teamops.read_case(s, i).report["form"]["summary"]: i for i in ids}


def test_tags_filter_the_inbox_and_one_reply_reaches_two_linked_reporters(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    ada, grace = member(server, "Ada"), member(server, "Grace")
    first = submit(server, form={**FORM, "summary": "Roadmap posted on a forum"})
    shot = {**FORM, "summary": "Roadmap screenshot on social media"}
    second = submit(server, form=shot, lang="de")
    submit(server, form={**FORM, "summary": "Unrelated phishing mail"})
    # A caller's report, filed by a member: its source shows and filters in the inbox.
    reporter.submit(server.client(grace), server.manifest, {**FORM, "summary": "Caller saw it"},
                    filed={"source": "phone"})
    ids = _cases(server, ada)
    a, b = ids["Roadmap posted on a forum"], ids["Roadmap screenshot on social media"]
    other, phoned = ids["Unrelated phishing mail"], ids["Caller saw it"]

    page, _ = make_page(server.url)
    unlock(page, server, ada)
    _open(page, a)
    assert "No tags yet." in page.inner_text("#case-tags")
    page.fill("#case-tags-input", " Leak, Roadmap ,leak")
    page.click("#case-tags-save")
    page.wait_for_selector("#case-tags .badge-tag[data-tag=roadmap]")
    badges = page.locator("#case-tags .badge-tag").all()
    assert [t.inner_text() for t in badges] == ["leak", "roadmap"]
    assert f"Last set by {ada.name}" in page.inner_text("#case-tags-by")
    assert run_axe(page) == []

    # Linked on both sides, from this case; the field suggests the other cases by summary.
    page.wait_for_selector(f"#case-link-choices option[value='{b}']", state="attached")
    label = page.get_attribute(f"#case-link-choices option[value='{b}']", "label")
    assert label == "Roadmap screenshot on social media"
    assert page.locator(f"#case-link-choices option[value='{a}']").count() == 0
    page.fill("#case-link-input", b)
    page.click("#case-link-add")
    page.wait_for_selector(f"#case-links button[data-case='{b}']")
    assert "Roadmap screenshot on social media" in page.inner_text("#case-links")

    # Another member's client: the tags and the links are signed notes on each side.
    s = server.session(grace)
    notes_a = [n for n in teamops.read_case(s, a).notes if n.ok and n.doc]
    notes_b = [n for n in teamops.read_case(s, b).notes if n.ok and n.doc]
    tags = [n.doc["tags"]["tags"] for n in notes_a if n.doc and "tags" in n.doc]
    assert tags == [["leak", "roadmap"]]
    assert [n.doc["links"]["cases"] for n in notes_a if n.doc and "links" in n.doc] == [[b]]
    assert [n.doc["links"]["cases"] for n in notes_b if n.doc and "links" in n.doc] == [[a]]
    assert {n.doc["member"] for n in notes_a + notes_b if n.doc} == {ada.member_id}
    # The server's copy of the case holds no tag.
    stored = b"".join(p.read_bytes() for p in server.data_dir.rglob("*") if p.is_file())
    assert b"roadmap" not in stored.lower()

    # One reply, composed once, to the reporters of both cases.
    assert "cases: 2" in page.inner_text("#links-reply-title")
    text = "We know about the leaked roadmap and are having it taken down. Thank you."
    page.fill("#links-reply-text", text)
    page.click("#links-reply-review")
    assert "Reporters to receive this text: 2." in page.inner_text("#links-reply-question")
    page.click("#links-reply-send")
    page.wait_for_selector("#links-reply-status:has-text('Done')", timeout=60000)
    assert page.locator("#links-reply-outcomes li[data-outcome=sent]").count() == 2
    assert run_axe(page) == []
    # The first reporter's client decrypts and verifies its own copy, bound to its own case.
    api = ApiClient(HttpTransport(server.url))
    ((doc, ok),) = reporter.follow_up(api, first.receipt, server.manifest).read_messages(
        server.manifest)
    assert ok and doc["text"] == text and doc["member"] == ada.member_id
    sent = [teamops.read_case(s, case_id).messages[0] for case_id in (a, b)]
    assert all(m.ok and m.doc for m in sent)
    assert doc["case"] == (sent[0].doc or {})["case"] != (sent[1].doc or {})["case"]
    # The second reads it on the follow-up page, in German, with the receipt only they hold.
    follow, _ = make_page(server.url, locale="de-DE")
    follow.goto(server.url + "/followup.html")
    follow.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    _enter(follow, second.receipt.text)
    follow.wait_for_selector("#step-next:not([hidden])")
    new = str(follow.get_attribute("#next-text", "data-receipt"))
    follow.fill("#next-last-group", new.split("-")[-1])
    follow.click("#next-continue")
    follow.wait_for_selector("#messages > li.message")
    assert follow.locator("#messages > li.forged").count() == 0
    assert text in follow.locator("#messages > li.message").nth(0).inner_text()

    # The inbox filters by tag over the rows it holds; after a new unlock the index carries them.
    page.click("#back-to-inbox")
    page.select_option("#f-tag", "roadmap")
    assert _shown(page) == [a]
    # The inbox's load writes the index in the background: locked before it ends, the next
    # unlock would read the older index.
    page.wait_for_selector("#inbox-progress[data-index-saved]", state="attached")
    page.click("#lock")
    unlock(page, server, ada)
    assert page.get_attribute("#inbox-progress", "data-index") == "warm"
    assert page.locator("#f-tag option[value=leak]").count() == 1
    page.select_option("#f-tag", "leak")
    assert _shown(page) == [a]
    assert other not in _shown(page)
    page.select_option("#f-tag", "")
    assert sorted(_shown(page)) == sorted([a, b, other, phoned])
    page.select_option("#f-source", "phone")
    assert _shown(page) == [phoned]
    badge = page.locator(f"#inbox-rows tr[data-case='{phoned}'] .badge-source[data-source=phone]")
    assert badge.inner_text() == "Phone call"
    page.select_option("#f-source", "page")
    assert sorted(_shown(page)) == sorted([a, b, other])
    page.select_option("#f-source", "")
    _open(page, phoned)
    assert "Came in by\nPhone call" in page.inner_text("#case-meta")
