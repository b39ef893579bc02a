"""The address book in Chromium: a contact with two addresses, a group, the group in To."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_compose_browser import imap

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ALICE = "alice@heron.test"


def shots_dir(tmp_path):
    """Where the screenshots go: HERON_SHOTS if set (to look at them), else tmp_path."""
    folder = Path(os.environ.get("HERON_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_contact_a_group_and_the_group_in_compose(live_server, page, tmp_path):
    base, shots = live_server.url, shots_dir(tmp_path)
    log_in(page, base, ALICE)
    page.get_by_role("link", name="Contacts").first.click()
    page.wait_for_url(f"{base}/contacts/")
    page.get_by_role("link", name="New contact").click()
    page.get_by_label("Display name").fill("Dana Scully")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Scully")
    page.get_by_label("Organisation").fill("FBI")
    page.get_by_label("Email address 1", exact=True).fill("dana@fbi.example")
    page.get_by_label("Label of email address 1").select_option("work")
    page.get_by_label("Email address 2", exact=True).fill("dana@home.example")
    page.get_by_role("button", name="Add another number").click()
    page.get_by_label("Phone number 2", exact=True).fill("+1 202 555 0100")
    page.get_by_role("button", name="Save contact").click()
    page.get_by_text("Contact saved.").wait_for()
    assert page.get_by_role("link", name="Write to dana@home.example").count() == 1

    page.get_by_label("New group").fill("X-Files team")
    page.get_by_role("button", name="Create").click()
    page.get_by_text("Group X-Files team created.").wait_for()
    page.get_by_role("link", name="Personal").click()
    page.get_by_label("Select Dana Scully").check()
    page.get_by_label("Group for the ticked contacts").select_option(label="X-Files team")
    page.get_by_role("button", name="Add to group").click()
    page.get_by_role("heading", name="X-Files team").wait_for()
    assert page.get_by_role("link", name="Dana Scully").count() == 1

    page.get_by_role("link", name="Dana Scully").click()
    card_url = page.url
    # Each picture is of a page loaded at its width (a resize would catch the menu's
    # slide mid-way), in the light and the dark theme.
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for name, url in (("card", card_url), ("list", f"{base}/contacts/"),
                              ("form", f"{base}/contacts/new/")):
                page.goto(url)
                page.screenshot(path=str(shots / f"contacts-{name}-{width}-{scheme}.png"))
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(f"{base}/mail/compose/")
    to = page.get_by_label("To", exact=True)
    to.press_sequentially("X-Fi")
    page.get_by_role("option", name="X-Files team (group)").click()
    # A group stands for each member's first (preferred) address.
    expect(to).to_have_value("Dana Scully <dana@fbi.example>, ")
    # The draft the compose window saved is cleared away (the sending of a group's
    # name is tested in tests/unit/test_contacts_transfer.py).
    page.goto("about:blank")
    page.wait_for_timeout(1000)
    drafts = imap(ALICE)
    try:
        drafts.select_folder("Drafts")
        found = drafts.search(["TO", "dana@fbi.example"])
        if found:
            drafts.delete_messages(found)
            drafts.expunge()
    finally:
        drafts.logout()
