"""The list's rows on every server: a snippet of each message's text, fetched with its
summary on the first view (PREVIEW where the server has it, the start of the text
elsewhere) and kept, so that the next view of the unchanged folder still costs one
command where CONDSTORE vouches for the flags."""
import re

import pytest

from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def imap_commands(response):
    return int(response["Server-Timing"].split('"')[1].split()[0])


def snippets(page):
    return re.findall(r'<span class="snippet"> – ([^<]*)</span>', page)


def test_a_warm_list_page_shows_snippets_for_one_imap_command(heron, scratch, account):
    conn, folder, append = scratch
    append(mf.message(subject="Quarter", text="The figures for the third quarter are in.",
                      days=1))
    append(mf.message(subject="Markup", text="", days=2,
                      html="<p>Hello <b>Bob</b>,</p><script>steal()</script><p>see you</p>"))
    cold = heron.get("/mail/", {"mailbox": folder})
    assert cold.status_code == 200, cold.get("Location")
    shown = snippets(cold.content.decode())
    assert "The figures for the third quarter are in." in shown
    assert not any("<" in s or "steal" in s for s in shown)

    warm = heron.get("/mail/", {"mailbox": folder})
    assert snippets(warm.content.decode()) == shown
    # Without CONDSTORE (the demo server) the flags of the page are fetched every time.
    assert imap_commands(warm) == (1 if account.kind != "demo" else 2)
