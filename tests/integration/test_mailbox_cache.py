"""The mailbox cache stays right when another client changes the folder, on every server:
Dovecot and Cyrus (CONDSTORE) and the demo server (none)."""
import time

import pytest
from prometheus_client import REGISTRY

from tests.integration import mailfactory as mf
from webmail import mail

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def listing(heron, folder):
    data = heron.get(f"/api/messages/?mailbox={folder}").json()
    return {m["subject"]: m for m in data["messages"]}, data


def imap_commands(response):
    return int(response["Server-Timing"].split('"')[1].split()[0])


def test_changes_made_by_another_client_show_on_the_next_page_view(heron, scratch, account):
    conn, folder, append = scratch
    first = append(mf.message(subject="Old news", days=1))
    append(mf.message(subject="Older news", days=0))
    shown, _ = listing(heron, folder)
    assert set(shown) == {"Old news", "Older news"}
    assert "\\Seen" not in shown["Old news"]["flags"]

    warm = heron.get(f"/api/messages/?mailbox={folder}")
    expected = 1 if account.kind != "demo" else 2  # without CONDSTORE flags are fetched
    assert imap_commands(warm) == expected

    append(mf.message(subject="Fresh arrival", days=2))
    shown, data = listing(heron, folder)
    assert "Fresh arrival" in shown and data["total"] == 3

    conn.select_folder(folder)
    conn.add_flags([first], [b"\\Seen", b"\\Flagged"])
    shown, _ = listing(heron, folder)
    assert {"\\Seen", "\\Flagged"} <= set(shown["Old news"]["flags"])

    conn.delete_messages([first])
    conn.expunge()
    shown, data = listing(heron, folder)
    assert "Old news" not in shown and data["total"] == 2


def test_a_folder_recreated_under_the_same_name_is_not_served_from_the_old_cache(
        heron, scratch, account):
    conn, folder, append = scratch
    append(mf.message(subject="Before the reset"))
    assert set(listing(heron, folder)[0]) == {"Before the reset"}
    # What must not be served is the shared cache (Redis), which outlives connections and
    # frontends. Heron's pooled connection, which still has the old folder selected, is
    # logged out first: Dovecot corrupts the new folder's index when a session that kept
    # the old one open touches it ("indexid changed", then SERVERBUG on DELETE), a
    # server fault that made the clean-up fail now and then.
    mail.POOL.clear()
    conn.select_folder("INBOX")
    conn.delete_folder(folder)
    conn.create_folder(folder)
    append(mf.message(subject="After the reset"))
    assert set(listing(heron, folder)[0]) == {"After the reset"}
    if account.kind == "cyrus":
        # Cyrus keeps a deleted folder under a name stamped to the second; deleting the
        # new one in the same second (the fixture's clean-up) would collide with it.
        time.sleep(1.1)


def test_paging_a_search_reuses_its_results_until_the_folder_changes(heron, scratch, account):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Invoice {n}", days=n)) for n in range(3)]
    append(mf.message(subject="Lunch"))
    search = f"/api/messages/?mailbox={folder}&q=invoice&scope=subject"
    first = heron.get(search)
    assert sorted(m["subject"] for m in first.json()["messages"]) == [
        "Invoice 0", "Invoice 1", "Invoice 2"]
    again = heron.get(search)
    if account.kind != "demo":  # kept only where CONDSTORE vouches for the flags
        assert imap_commands(again) == 1, "the same search again is answered from the cache"
    append(mf.message(subject="Invoice 3", days=5))
    conn.select_folder(folder)
    # By UID: with a full-text index, SUBJECT "Invoice 0" matches every invoice (a word
    # under 3 characters is not searched).
    conn.add_flags([uids[0]], [b"\\Seen"])
    after = heron.get(search).json()["messages"]
    assert sorted(m["subject"] for m in after) == [
        "Invoice 0", "Invoice 1", "Invoice 2", "Invoice 3"]
    unread = heron.get(search + "&unread=on").json()["messages"]
    assert sorted(m["subject"] for m in unread) == ["Invoice 1", "Invoice 2", "Invoice 3"]


def commands_sent(command):
    return REGISTRY.get_sample_value(
        "heron_imap_command_duration_seconds_count", {"command": command}) or 0.0


def server_order(conn, folder):
    """Subjects in the server's own order (newest first), the truth to compare with."""
    conn.select_folder(folder)
    if conn.has_capability("SORT"):
        uids = conn.sort(["REVERSE", "DATE"])
    else:  # the demo server: by Date header, then arrival, as RFC 5256 orders
        dated = conn.fetch(conn.search(["ALL"]), ["ENVELOPE"])
        uids = sorted(dated, key=lambda uid: (dated[uid][b"ENVELOPE"].date, uid), reverse=True)
    envelopes = conn.fetch(uids, ["ENVELOPE"])
    return [envelopes[uid][b"ENVELOPE"].subject.decode() for uid in uids]


def test_the_kept_order_follows_arrivals_and_expunges_from_the_difference(
        heron, scratch, account):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Day {n}", days=n)) for n in range(5)]
    listing(heron, folder)  # sorts the folder and keeps the order

    # Another client: one new message (the newest) and one expunged.
    append(mf.message(subject="Newest", days=9))
    conn.select_folder(folder)
    conn.delete_messages([uids[2]])
    conn.expunge()
    full_sorts, placed = commands_sent("sort"), commands_sent("sort_arrived")
    selects = commands_sent("select_folder")
    data = heron.get(f"/api/messages/?mailbox={folder}").json()
    assert [m["subject"] for m in data["messages"]] == server_order(conn, folder)
    assert data["messages"][0]["subject"] == "Newest" and data["total"] == 5
    if account.kind != "demo":  # the demo server has neither CONDSTORE nor ESEARCH
        assert commands_sent("sort") == full_sorts, "the folder was not sorted again"
        assert commands_sent("sort_arrived") == placed + 1
        # The NOOP's notices were taken in and one ESEARCH told the new state: no SELECT,
        # which on Dovecot's Maildir rescans the folder.
        assert commands_sent("select_folder") == selects

    # A message dated before all the others cannot go on top: the folder is sorted again,
    # and the order is still the server's.
    append(mf.message(subject="Ancient", days=-30))
    full_sorts = commands_sent("sort")
    data = heron.get(f"/api/messages/?mailbox={folder}").json()
    assert [m["subject"] for m in data["messages"]] == server_order(conn, folder)
    assert data["messages"][-1]["subject"] == "Ancient"
    if account.kind != "demo":  # the demo server sorts nothing: Heron does
        assert commands_sent("sort") == full_sorts + 1

    # Oldest first: new mail goes at the end, placed without sorting everything again.
    listing_asc = f"/api/messages/?mailbox={folder}&sort=date&order=asc"
    heron.get(listing_asc)
    append(mf.message(subject="Newer still", days=12))
    full_sorts = commands_sent("sort")
    data = heron.get(listing_asc).json()
    assert [m["subject"] for m in data["messages"]] == server_order(conn, folder)[::-1]
    if account.kind != "demo":
        assert commands_sent("sort") == full_sorts


def test_a_message_opened_before_costs_one_command(heron, scratch, account):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Read it again", text="Same words"), flags=[b"\\Seen"])
    page = f"/mail/message/{uid}/?mailbox={folder}"
    first = heron.get(page)
    assert "Same words" in first.content.decode()
    again = heron.get(page)
    assert "Same words" in again.content.decode()
    frame = heron.get(f"/mail/message/{uid}/body/?mailbox={folder}&view=text")
    assert frame.status_code == 200
    if account.kind != "demo":
        # Revalidation only: the outline, flags, order and shown body are all cached.
        assert imap_commands(again) == 1
        # The frame has no list to vouch that the message is still there: one FETCH of
        # its flags does.
        assert imap_commands(frame) == 2

    # Another client flags it: the next view shows it (flags asked with CHANGEDSINCE).
    conn.select_folder(folder)
    conn.add_flags([uid], [b"\\Flagged"])
    data = heron.get(f"/api/messages/?mailbox={folder}").json()
    assert "\\Flagged" in data["messages"][0]["flags"]


def test_a_kept_search_takes_in_new_mail_without_searching_the_whole_folder(
        heron, scratch, account):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Invoice {n}", days=n)) for n in range(3)]
    append(mf.message(subject="Lunch"))
    search = f"/api/messages/?mailbox={folder}&q=invoice&scope=subject"
    heron.get(search)
    append(mf.message(subject="Invoice 9", days=9))
    append(mf.message(subject="Dinner", days=10))
    conn.select_folder(folder)
    conn.delete_messages([uids[0]])
    conn.expunge()
    full, arrivals = commands_sent("sort"), commands_sent("search_arrived")
    data = heron.get(search).json()
    assert [m["subject"] for m in data["messages"]] == ["Invoice 9", "Invoice 2", "Invoice 1"]
    if account.kind != "demo":  # the demo server has no ESEARCH: it searches again
        assert commands_sent("sort") == full, "the folder was not searched again"
        assert commands_sent("search_arrived") == arrivals + 1
    # Criteria on flags are searched again after any change: a flag alone changes them.
    unread = heron.get(search + "&unread=on").json()["messages"]
    conn.add_flags([uids[1]], [b"\\Seen"])
    again = heron.get(search + "&unread=on").json()["messages"]
    assert len(again) == len(unread) - 1


def test_a_message_deleted_elsewhere_does_not_open_from_the_cache(heron, scratch, account):
    conn, folder, append = scratch
    keep = append(mf.message(subject="Stays", days=1))
    gone = append(mf.message(subject="Goes away", text="Old words", days=2))
    page = f"/mail/message/{gone}/?mailbox={folder}"
    assert "Old words" in heron.get(page).content.decode()  # marks it read: newest MODSEQ
    heron.get(page)
    source = f"/mail/message/{gone}/source/?mailbox={folder}"
    assert b"Old words" in b"".join(heron.get(source).streaming_content)
    conn.select_folder(folder)
    conn.delete_messages([gone])
    conn.expunge()
    after = heron.get(page, follow=True).content.decode()
    assert "Old words" not in after
    frame = heron.get(f"/mail/message/{gone}/body/?mailbox={folder}&view=text")
    assert b"Old words" not in frame.content
    assert heron.get(source).status_code == 404
    assert "Stays" in heron.get(f"/mail/message/{keep}/?mailbox={folder}").content.decode()


def test_a_message_opened_from_the_list_reads_only_its_place_in_the_order(
        heron, scratch, account):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Note {n}", days=n), flags=[b"\\Seen"])
            for n in range(4)]
    listed = heron.get(f"/api/messages/?mailbox={folder}").json()["messages"]
    assert [m["uid"] for m in listed] == uids[::-1]
    second = listed[1]["url"]
    if account.kind != "demo":
        assert "at=1" in second
    heron.get(second)
    page = heron.get(second).content.decode()
    assert f"/mail/message/{uids[3]}/" in page and f"/mail/message/{uids[1]}/" in page
    # A wrong place is only a hint: the whole list is read and the links are still right.
    wrong = heron.get(f"/mail/message/{uids[2]}/?mailbox={folder}&at=3").content.decode()
    assert f"/mail/message/{uids[3]}/" in wrong and f"/mail/message/{uids[1]}/" in wrong
    assert heron.get(f"/mail/message/{uids[2]}/?mailbox={folder}&at=99").status_code == 200


def page_lookups(result):
    return REGISTRY.get_sample_value(
        "heron_cache_lookups_total", {"use": "mailbox-page", "result": result}) or 0.0


def test_an_unchanged_page_is_shown_again_and_any_change_puts_it_together_anew(
        heron, scratch, account):
    """A page of a plain list is kept in the process for the folder's whole state
    (webmail/imap/pagememo.py): shown again while nothing changed, never after a change
    of a flag, an arrival or an expunge by another client."""
    conn, folder, append = scratch
    first = append(mf.message(subject="Kept row", days=1))
    append(mf.message(subject="Other row", days=0))
    assert set(listing(heron, folder)[0]) == {"Kept row", "Other row"}
    # The first view selects the folder and makes its list; a page is kept only when made
    # under a state known before its making began: from the second view on.
    assert set(listing(heron, folder)[0]) == {"Kept row", "Other row"}
    hits = page_lookups("hit")
    shown, _ = listing(heron, folder)
    if account.kind == "demo":  # no CONDSTORE: a flag change would not change the state
        assert page_lookups("hit") == hits
        return
    assert page_lookups("hit") == hits + 1 and set(shown) == {"Kept row", "Other row"}

    conn.select_folder(folder)
    conn.add_flags([first], [b"\\Flagged"])
    shown, _ = listing(heron, folder)
    assert "\\Flagged" in shown["Kept row"]["flags"]
    append(mf.message(subject="New row", days=2))
    assert set(listing(heron, folder)[0]) == {"Kept row", "Other row", "New row"}
    conn.delete_messages([first])
    conn.expunge()
    assert set(listing(heron, folder)[0]) == {"Other row", "New row"}
    assert page_lookups("hit") == hits + 1  # each page after a change was a miss


def test_a_messages_neighbours_are_kept_until_the_folder_changes(heron, scratch, account):
    """Prev/next of a message opened from the list are kept for the folder's state like a
    page (pagememo): read once, and read again after another client's arrival moves the
    message's neighbours."""
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Step {n}", days=n), flags=[b"\\Seen"])
            for n in range(3)]
    listed = heron.get(f"/api/messages/?mailbox={folder}").json()["messages"]
    newest = listed[0]["url"]  # no newer neighbour, the next one is uids[1]
    heron.get(newest)
    hits = REGISTRY.get_sample_value(
        "heron_cache_lookups_total", {"use": "mailbox-around", "result": "hit"}) or 0.0
    page = heron.get(newest).content.decode()
    assert f"/mail/message/{uids[1]}/" in page and 'rel="prev"' not in page
    kept = REGISTRY.get_sample_value(
        "heron_cache_lookups_total", {"use": "mailbox-around", "result": "hit"}) or 0.0
    if account.kind == "demo":  # no CONDSTORE: no place in the list is kept
        assert kept == hits
        return
    assert "at=0" in newest and kept == hits + 1
    arrived = append(mf.message(subject="Step 3", days=3), flags=[b"\\Seen"])
    heron.get(f"/api/messages/?mailbox={folder}")  # the list that links at=1 for it now
    page = heron.get(f"/mail/message/{uids[2]}/?mailbox={folder}&at=1").content.decode()
    assert f"/mail/message/{arrived}/" in page and f"/mail/message/{uids[1]}/" in page


def test_a_message_opened_again_is_kept_until_another_client_flags_it(heron, scratch, account):
    """A message as opened (outline and flags) is kept for its folder's state like a page
    (pagememo): the second open reads it from nowhere, and after another client flags it
    the next open shows the flag."""
    conn, folder, append = scratch
    uid = append(mf.message(subject="Kept open"), flags=[b"\\Seen"])
    page = f"/mail/message/{uid}/?mailbox={folder}"

    def hits():
        return REGISTRY.get_sample_value(
            "heron_cache_lookups_total", {"use": "message-memo", "result": "hit"}) or 0.0

    assert "Remove flag" not in heron.get(page).content.decode()
    before = hits()
    assert "Remove flag" not in heron.get(page).content.decode()
    if account.kind == "demo":  # no CONDSTORE: nothing is kept
        assert hits() == before
        return
    assert hits() == before + 1
    conn.select_folder(folder)
    conn.add_flags([uid], [b"\\Flagged"])
    assert "Remove flag" in heron.get(page).content.decode()
