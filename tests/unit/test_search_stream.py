"""A search of all folders shown as the folders answer: the page comes at once with the
folders to ask, each folder's first page of hits comes from search_folder, and together
they make the first page of the whole list; through the in-memory mail server."""
import re

import pytest
from django.test import Client

from tests.unit.conftest import log_in

pytestmark = pytest.mark.django_db
EVERYWHERE = {"q": "Message 70", "scope": "subject", "where": "everywhere"}


def rows(page):
    return [(mailbox, int(uid)) for uid, mailbox in
            re.findall(r'data-uid="(\d+)"[^>]*data-mailbox="([^"]*)"', page)]


def folder_urls(page):
    return [url.replace("&amp;", "&")
            for url in re.findall(r'<li data-url="([^"]+)"', page)]


def test_the_streamed_page_lists_the_folders_to_ask_and_no_rows(alice):
    page = alice.get("/mail/", {**EVERYWHERE, "stream": "1"}).content.decode()
    assert rows(page) == []
    assert 'role="status" aria-live="polite"' in page
    assert "Folders searched: 0 of 4" in page
    # Trash is left out, as in the whole page; stream= and page= are not passed on.
    urls = folder_urls(page)
    assert [u.rsplit("folder=", 1)[1] for u in urls] == ["INBOX", "Sent", "Projects",
                                                         "Projects%2FHeron"]
    assert all("stream=" not in u and "page=" not in u for u in urls)
    assert "search-stream.js" in page


def test_the_folders_answers_make_the_first_page_of_the_whole_list(alice):
    whole = rows(alice.get("/mail/", EVERYWHERE).content.decode())
    streamed = []
    page = alice.get("/mail/", {**EVERYWHERE, "stream": "1"}).content.decode()
    for url in folder_urls(page):
        answer = alice.get(url)
        assert answer.status_code == 200
        streamed += rows(answer.content.decode())
    assert whole == [("Projects", 701), ("Projects", 700), ("INBOX", 70)]
    assert sorted(streamed, key=whole.index) == whole


def test_a_folder_answer_tells_its_total_and_keeps_a_page(alice, fake_server):
    for n in range(3):
        fake_server.folder("alice@heron.test", "Projects").append(
            f"Subject: Message 70 again {n}\r\n\r\nhi\r\n".encode())
    answer = alice.get("/mail/search/folder/", {**EVERYWHERE, "folder": "Projects"})
    body = answer.content.decode()
    assert 'data-total="5"' in body
    assert len(rows(body)) == 5


def test_without_stream_the_page_is_whole_at_once(alice):
    page = alice.get("/mail/", EVERYWHERE).content.decode()
    assert len(rows(page)) == 3 and "data-search-stream" not in page


def test_a_folder_not_searched_or_not_a_search_of_all_folders_is_a_404(alice):
    assert alice.get("/mail/search/folder/", {**EVERYWHERE, "folder": "Trash"}).status_code == 404
    assert alice.get("/mail/search/folder/", {**EVERYWHERE, "folder": "Nope"}).status_code == 404
    assert alice.get("/mail/search/folder/", {"q": "x", "folder": "INBOX"}).status_code == 404


def test_search_folder_needs_get_and_login(alice, client):
    assert alice.post("/mail/search/folder/", {**EVERYWHERE, "folder": "INBOX"}).status_code == 405
    client.logout()
    answer = client.get("/mail/search/folder/", {**EVERYWHERE, "folder": "INBOX"})
    assert answer.status_code == 302 and "/login" in answer["Location"]


def test_carol_cannot_search_alices_folder(alice, fake_server):
    carol = Client()
    log_in(carol, "carol@heron.test")
    theirs = carol.get("/mail/search/folder/", {**EVERYWHERE, "folder": "Projects"})
    assert theirs.status_code == 404
    mine = carol.get("/mail/search/folder/", {**EVERYWHERE, "folder": "INBOX"})
    assert mine.status_code == 200 and rows(mine.content.decode()) == []
