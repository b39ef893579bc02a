"""Organising, sorting, threading, searching and folders, on every kind of server."""
import html
import re
from urllib.parse import quote

import pytest

from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def subjects_in(conn, folder):
    conn.select_folder(folder, readonly=True)
    uids = conn.search(["ALL"])
    if not uids:
        return []
    data = conn.fetch(uids, ["ENVELOPE"])
    return sorted(data[uid][b"ENVELOPE"].subject.decode() for uid in uids)


def flags(conn, folder, uid):
    conn.select_folder(folder, readonly=True)
    return {f.decode() for f in conn.get_flags([uid]).get(uid, ())}


def act(client, folder, uids, action, target="", follow=False):
    return client.post("/mail/actions/", {"mailbox": folder, "uids": uids, "action": action,
                                          "target": target, "next": "/mail/"}, follow=follow)


def imap_commands(response):
    return int(response["Server-Timing"].split('"')[1].split()[0])


def notice(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def role_folder(client, role):
    folders = client.get("/api/mailboxes/").json()["mailboxes"]
    return next((f["name"] for f in folders if f["role"] == role), None)


def test_it_flags_and_marks_a_selection(heron, scratch):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"M{n}")) for n in range(3)]
    act(heron, folder, uids[:2], "flag")
    assert ["\\Flagged" in flags(conn, folder, uid) for uid in uids] == [True, True, False]
    act(heron, folder, uids[:1], "unflag")
    assert "\\Flagged" not in flags(conn, folder, uids[0])
    act(heron, folder, uids, "read")
    assert all("\\Seen" in flags(conn, folder, uid) for uid in uids)


def test_it_moves_selected_messages_and_says_so_with_undo(heron, scratch, account):
    conn, folder, append = scratch
    uids = [append(mf.message(subject=f"Move {n}")) for n in range(3)]
    target = folder + "-dest"
    conn.create_folder(target)
    try:
        response = act(heron, folder, uids[:2], "move", target, follow=True)
        assert f"Moved 2 messages to {target}" in notice(response)
        assert subjects_in(conn, target) == ["Move 0", "Move 1"]
        assert subjects_in(conn, folder) == ["Move 2"]
        if "Undo" in response.content.decode():  # offered only when the server reports UIDs
            heron.post("/mail/actions/undo/", {"next": "/mail/"})
            assert subjects_in(conn, folder) == ["Move 0", "Move 1", "Move 2"]
        else:
            assert account.kind == "demo", "Dovecot and Cyrus have UIDPLUS: undo must be offered"
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(target)


def test_it_copies_messages(heron, scratch):
    conn, folder, append = scratch
    uid = append(mf.message(subject="Copy me"))
    target = folder + "-copy"
    conn.create_folder(target)
    try:
        act(heron, folder, [uid], "copy", target)
        assert subjects_in(conn, target) == ["Copy me"]
        assert subjects_in(conn, folder) == ["Copy me"]
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(target)


def test_delete_moves_to_trash_and_delete_in_trash_removes_for_good(heron, scratch, account):
    conn, folder, append = scratch
    subject = f"Trash me {folder}"
    uid = append(mf.message(subject=subject))
    response = act(heron, folder, [uid], "delete", follow=True)
    if account.kind == "demo":
        # pymap's demo Trash is read-only: the refusal is said, and nothing is lost.
        assert any("refused" in text for text in notice(response))
        assert subjects_in(conn, folder) == [subject]
        return
    assert subjects_in(conn, folder) == []
    trash = role_folder(heron, "trash")
    assert subject in subjects_in(conn, trash)
    conn.select_folder(trash, readonly=True)
    trashed = conn.search(["SUBJECT", subject])
    asked = act(heron, trash, trashed, "delete")
    assert "Delete 1 message forever?" in asked.content.decode()
    assert subject in subjects_in(conn, trash), "nothing goes before the answer"
    heron.post("/mail/actions/", {"mailbox": trash, "uids": trashed, "action": "delete",
                                  "confirm": "1", "next": "/mail/"})
    assert subject not in subjects_in(conn, trash)


def test_archive_and_junk_and_not_junk(heron, scratch):
    conn, folder, append = scratch
    uid_a = append(mf.message(subject=f"Archive {folder}"))
    uid_j = append(mf.message(subject=f"Junk {folder}"))
    act(heron, folder, [uid_a], "archive")
    archive = role_folder(heron, "archive")
    assert archive and f"Archive {folder}" in subjects_in(conn, archive)
    act(heron, folder, [uid_j], "junk")
    junk = role_folder(heron, "junk")
    assert junk and f"Junk {folder}" in subjects_in(conn, junk)
    conn.select_folder(junk, readonly=True)
    junked = conn.search(["SUBJECT", f"Junk {folder}"])
    act(heron, junk, junked, "notjunk")
    assert f"Junk {folder}" in subjects_in(conn, "INBOX")
    for box, subject in (("INBOX", f"Junk {folder}"), (archive, f"Archive {folder}")):
        conn.select_folder(box)
        found = conn.search(["SUBJECT", subject])
        conn.delete_messages(found)
        conn.expunge()


def test_empty_removes_everything_from_a_junk_folder_only(heron, scratch):
    conn, folder, append = scratch
    append(mf.message(subject="Keep me"))
    response = heron.post("/mail/folders/empty/", {"mailbox": folder}, follow=True)
    assert "Only Trash and Junk can be emptied." in notice(response)
    assert subjects_in(conn, folder) == ["Keep me"]
    junk = role_folder(heron, "junk") or "Junk"
    if junk not in {n.decode() if isinstance(n, bytes) else n
                    for _f, _d, n in conn.list_folders()}:
        conn.create_folder(junk)
    conn.append(junk, mf.message(subject="Spam").as_bytes())
    heron.post("/mail/folders/empty/", {"mailbox": junk})
    assert subjects_in(conn, junk) == []


@pytest.mark.parametrize("sort, order, expected", [
    ("subject", "asc", ["Apple", "banana", "Cherry"]),
    ("subject", "desc", ["Cherry", "banana", "Apple"]),
    ("size", "asc", ["Cherry", "Apple", "banana"]),
    ("from", "asc", ["banana", "Cherry", "Apple"]),
    ("date", "desc", ["Apple", "Cherry", "banana"]),
])
def test_it_sorts_by_each_key_both_ways(heron, scratch, sort, order, expected):
    conn, folder, append = scratch
    append(mf.message(subject="Apple", sender="zed@example.org", text="x" * 200, days=3))
    append(mf.message(subject="banana", sender="amy@example.org", text="x" * 900, days=1))
    append(mf.message(subject="Cherry", sender="kim@example.org", text="x", days=2))
    data = heron.get(f"/api/messages/?mailbox={quote(folder)}&sort={sort}&order={order}").json()
    assert [m["subject"] for m in data["messages"]] == expected


def test_conversations_group_a_thread_into_one_row_and_read_together(heron, scratch):
    conn, folder, append = scratch
    root = "<root@test.heron>"
    append(mf.message(subject="Trip", message_id=root, days=1, text="Shall we go?"))
    append(mf.message(subject="Re: Trip", message_id="<r1@test.heron>", in_reply_to=root,
                      references=root, days=2, text="Yes!"))
    newest = append(mf.message(subject="Re: Trip", message_id="<r2@test.heron>",
                               in_reply_to="<r1@test.heron>",
                               references=f"{root} <r1@test.heron>", days=3, text="Booked."))
    append(mf.message(subject="Other", days=0))
    data = heron.get(f"/api/messages/?mailbox={quote(folder)}&threads=on").json()
    rows = {m["subject"]: m for m in data["messages"]}
    assert data["total"] == 2 and rows["Re: Trip"]["thread_size"] == 3
    assert rows["Re: Trip"]["uid"] == newest
    for _ in range(2):  # warms the caches (the second sees the flags the first set)
        heron.get(f"/mail/thread/{newest}/?mailbox={quote(folder)}")
    response = heron.get(f"/mail/thread/{newest}/?mailbox={quote(folder)}")
    page = response.content.decode()
    assert page.index("Shall we go?") < page.index("Yes!") < page.index("Booked.")
    assert "(3 messages)" in page
    previous = f"{root} <r1@test.heron> <r2@test.heron>"
    for n in range(3, 7):
        newer = append(mf.message(subject="Re: Trip", message_id=f"<r{n}@test.heron>",
                                  in_reply_to=f"<r{n - 1}@test.heron>", references=previous,
                                  days=n + 1, text=f"Reply {n}"))
        previous += f" <r{n}@test.heron>"
    for _ in range(2):
        heron.get(f"/mail/thread/{newer}/?mailbox={quote(folder)}")
    longer = heron.get(f"/mail/thread/{newer}/?mailbox={quote(folder)}")
    assert "(7 messages)" in longer.content.decode()
    assert imap_commands(longer) == imap_commands(response), "cost does not grow per message"


def test_search_filters_and_api_query(heron, scratch, account):
    conn, folder, append = scratch
    append(mf.message(subject="Invoice March", sender="billing@cloudhost.example",
                      text="Total due 42", days=5))
    flagged = append(mf.message(subject="Lunch Friday", text="Pizza or sushi?", days=10))
    conn.select_folder(folder)
    conn.add_flags([flagged], [b"\\Flagged"])
    append(mf.with_attachments(mf.message(subject="Photos", text="see attached", days=20),
                               [("p.png", "image", "png", mf.png_bytes())]))
    base = f"/api/messages/?mailbox={quote(folder)}"

    def found(query):
        return sorted(m["subject"] for m in heron.get(base + query).json()["messages"])

    assert found("&q=invoice&scope=subject") == ["Invoice March"]
    assert found("&q=cloudhost&scope=from") == ["Invoice March"]
    assert found("&q=sushi&scope=body") == ["Lunch Friday"]
    assert found("&q=pizza") == ["Lunch Friday"]
    assert found("&flagged=on") == ["Lunch Friday"]
    assert found("&attachment=on") == ["Photos"]
    assert found("&since=2026-03-08&until=2026-03-15") == ["Lunch Friday"]
    assert found("&unread=on&q=photos") == ["Photos"]
    everywhere = heron.get(f"/api/messages/?q={quote('Lunch Friday')}&where=everywhere").json()
    assert any(m["mailbox"] == folder and m["subject"] == "Lunch Friday"
               for m in everywhere["messages"])
    page = heron.get(f"/mail/?mailbox={quote(folder)}&q=invoice").content.decode()
    assert "Invoice March" in page and "Lunch Friday" not in page


def test_search_results_from_several_folders_can_be_acted_on(heron, scratch, account):
    conn, folder, append = scratch
    word = f"zebra{account.kind}"
    here = append(mf.message(subject=f"{word} here"))
    other = folder + "-other"
    conn.create_folder(other)
    try:
        conn.append(other, mf.message(subject=f"{word} there").as_bytes())
        page = heron.get(f"/mail/?q={word}&where=everywhere").content.decode()
        picks = sorted(set(re.findall(r'name="picks" value="([^"]+)"', page)))
        assert len(picks) == 2, "each result can be selected, with its folder"
        assert f"{here} {folder}" in [html.unescape(p) for p in picks]
        response = heron.post("/mail/actions/", {
            "action": "flag", "picks": [html.unescape(p) for p in picks], "next": "/mail/"},
            follow=True)
        assert "Flagged 2 messages" in notice(response)
        assert "\\Flagged" in flags(conn, folder, here)
        conn.select_folder(other, readonly=True)
        assert all(b"\\Flagged" in f for f in conn.get_flags(conn.search(["ALL"])).values())
    finally:
        conn.select_folder("INBOX")
        conn.delete_folder(other)


def test_folders_are_created_renamed_subscribed_and_deleted_in_any_language(heron, account):
    conn = account.connect()
    try:
        response = heron.post("/mail/folders/create/", {"name": "Über Reisen 旅行"}, follow=True)
        assert "Created the folder" in notice(response)[0]
        names = {f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]}
        assert "Über Reisen 旅行" in names
        raw = {n for _f, _d, n in conn.list_folders()}
        assert "Über Reisen 旅行" in raw  # imapclient decodes the modified UTF-7 it received
        heron.post("/mail/folders/create/", {"name": "Été", "parent": "Über Reisen 旅行"})
        names = {f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]}
        nested = [n for n in names if n.startswith("Über Reisen 旅行") and n.endswith("Été")]
        assert nested
        heron.post("/mail/folders/subscribe/", {"mailbox": nested[0], "subscribed": "0"})
        assert nested[0] not in {n for _f, _d, n in conn.list_sub_folders()}
        heron.post("/mail/folders/subscribe/", {"mailbox": nested[0], "subscribed": "1"})
        assert nested[0] in {n for _f, _d, n in conn.list_sub_folders()}
        heron.post("/mail/folders/rename/", {"mailbox": "Über Reisen 旅行", "name": "Ρόδος"})
        names = {f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]}
        assert "Ρόδος" in names and "Über Reisen 旅行" not in names
    finally:
        for name in ("Ρόδος", "Über Reisen 旅行"):
            heron.post("/mail/folders/delete/", {"mailbox": name, "confirm": "1"})
    names = {f["name"] for f in heron.get("/api/mailboxes/").json()["mailboxes"]}
    assert not any(n.startswith(("Ρόδος", "Über Reisen")) for n in names)
    conn.logout()


@pytest.mark.parametrize("account", ["dovecot"], indirect=True)
def test_the_quota_is_shown_when_the_server_reports_one(heron):
    page = heron.get("/mail/").content.decode()
    assert "Storage used" in page and "of 1.0" in page


def test_organising_needs_a_post_and_a_login(client, heron):
    assert heron.get("/mail/actions/").status_code == 405
    assert heron.get("/mail/folders/create/").status_code == 405
    heron.post("/accounts/logout/")
    response = client.post("/mail/actions/", {"mailbox": "INBOX", "uids": [1], "action": "flag"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
