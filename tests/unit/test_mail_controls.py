"""The mail screen's controls: SVG icons instead of glyphs, a message toolbar whose every
control has a name, the More menu reachable without JavaScript, notices by kind, and Delete
that says "Delete forever" in Trash; pages through the in-memory mail server."""
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

pytestmark = pytest.mark.django_db
ALICE = "alice@heron.test"
PANE = {"HTTP_HX_REQUEST": "true"}
# Arrows, dingbats, geometric shapes, misc symbols, emoji, and the single guillemets.
GLYPHS = re.compile("[\u2190-\u2bff\U0001f000-\U0001ffff\u2039\u203a]")


VOID = {"input", "br", "img", "hr", "meta", "link", "source", "wbr"}  # never closed


class Controls(HTMLParser):
    """The links, buttons and summaries inside the element with class `inside`, each as
    its attributes and its text."""

    def __init__(self, inside):
        super().__init__()
        self.inside, self.depth, self.open, self.found = inside, 0, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth or self.inside in (attrs.get("class") or "").split():
            if tag not in VOID:
                self.depth += 1
            if tag in ("a", "button", "summary"):
                self.open.append({"tag": tag, "text": "", **attrs})

    def handle_endtag(self, tag):
        if not self.depth:
            return
        self.depth -= 1
        if tag in ("a", "button", "summary") and self.open:
            self.found.append(self.open.pop())

    def handle_data(self, data):
        for control in self.open:
            control["text"] += data


def controls(html, inside):
    parser = Controls(inside)
    parser.feed(html)
    return parser.found


def name_of(control):
    return (control.get("aria-label") or control["text"]).strip()


def act(client, action, uids, mailbox="INBOX", **extra):
    data = {"action": action, "uids": uids, "mailbox": mailbox, **extra}
    return client.post("/mail/actions/", data, follow=True)


def test_the_icon_tag_draws_a_symbol_of_the_sprite_hidden_from_screen_readers():
    html = Template('{% load icons %}{% icon "star" %}').render(Context())
    assert html == ('<svg class="icon" aria-hidden="true" focusable="false">'
                    '<use href="/static/icons/sprite.svg#star"></use></svg>')


def test_every_icon_a_template_names_is_in_the_sprite():
    sprite = (Path(settings.BASE_DIR) / "static/icons/sprite.svg").read_text()
    symbols = set(re.findall(r'<symbol id="([^"]+)"', sprite))
    named = {name for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
             for name in re.findall(r'{% icon "([^"]+)"', path.read_text())}
    assert named and named <= symbols, f"missing from the sprite: {sorted(named - symbols)}"


@pytest.mark.parametrize("url, extra", [
    ("/mail/", {}), ("/mail/message/60/?mailbox=INBOX", {}),
    ("/mail/message/60/?mailbox=INBOX", PANE), ("/mail/compose/", {}),
    ("/mail/folders/", {}), ("/accounts/settings/", {})])
def test_pages_draw_icons_not_emoji_or_symbol_glyphs(alice, url, extra):
    response = alice.get(url, **extra)
    assert response.status_code == 200
    html = response.content.decode()
    assert GLYPHS.findall(html) == []
    assert 'class="icon' in html


def test_every_control_of_the_message_toolbar_has_a_name_and_a_tooltip(alice):
    for extra in ({}, PANE):
        html = alice.get("/mail/message/60/", {"mailbox": "INBOX"}, **extra).content.decode()
        found = controls(html, "message-toolbar")
        names = [name_of(control) for control in found]
        assert all(names), found
        assert {"Reply", "Reply all", "Forward", "Archive", "Delete", "Mark as junk", "Mark unread",
                "Flag", "Move to folder", "More actions", "Forward as attachment", "Show original",
                "Download .eml", "Print view", "Previous message", "Next message"} <= set(names)
        icon_buttons = [control for control in found if "tool" in control.get("class", "").split()]
        assert len(icon_buttons) >= 10
        assert all(control.get("title") for control in icon_buttons), icon_buttons


def test_the_more_menu_opens_without_javascript_and_names_its_button(alice):
    html = alice.get("/mail/message/60/", {"mailbox": "INBOX"}, **PANE).content.decode()
    menu = re.search(r'<details class="menu more-menu">(.*?)</details>', html, re.S).group(1)
    assert '<summary class="tool" aria-label="More actions"' in menu
    assert 'aria-label="Open in its own page"' in menu and 'aria-label="Show original"' in menu


def test_a_flagged_message_offers_to_remove_the_flag(alice, fake_server):
    fake_server.folder(ALICE, "INBOX").messages[60].flags.add("\\Flagged")
    html = alice.get("/mail/message/60/", {"mailbox": "INBOX"}).content.decode()
    names = [name_of(control) for control in controls(html, "message-toolbar")]
    assert "Remove flag" in names and "Flag" not in names


def test_in_trash_delete_says_delete_forever(alice, fake_server):
    act(alice, "delete", [60])
    [uid] = sorted(fake_server.folder(ALICE, "Trash").messages)
    html = alice.get(f"/mail/message/{uid}/", {"mailbox": "Trash"}).content.decode()
    assert delete_names(html) == ["Delete forever"]
    inbox = alice.get("/mail/message/59/", {"mailbox": "INBOX"}).content.decode()
    assert delete_names(inbox) == ["Delete"]


def delete_names(html):
    return [name_of(c) for c in controls(html, "message-toolbar") if c.get("value") == "delete"]


def notice_classes(html):
    """Each notice's class of kind and the icon it starts with."""
    return re.findall(r'<div class="notice (notice-\w+)">\s*'
                      r'<svg class="icon"[^>]*><use href="[^"#]*#([\w-]+)"', html)


def test_notices_are_drawn_by_their_kind(alice):
    moved = act(alice, "archive", [60], next="/mail/").content.decode()
    assert notice_classes(moved) == [("notice-success", "check")]
    assert "Moved 1 message to Archive" in moved
    nothing = act(alice, "archive", []).content.decode()
    assert notice_classes(nothing) == [("notice-error", "alert-octagon")]
    alice.post("/mail/actions/undo/", {"next": "/mail/"}, follow=True)
    again = alice.post("/mail/actions/undo/", {"next": "/mail/"}, follow=True).content.decode()
    assert notice_classes(again) == [("notice-info", "info")]


def test_a_kept_folder_query_is_the_forms_own_and_a_copy_each_time():
    """FolderPageForm.query_of keeps queries per process: the same answer as the form, a
    copy a view may change, and a bad folder name refused each time."""
    from django.core.exceptions import BadRequest
    from django.http import QueryDict

    from webmail.forms import FolderPageForm, MessageViewForm

    for text in ("mailbox=Sent&page=3&sort=from&order=asc", "page=-4&sort=nonsense", "",
                 "mailbox=INBOX&view=text&at=7&images=1"):
        data = QueryDict(text)
        for form in (FolderPageForm, MessageViewForm):
            assert form.query_of(data) == form(data).query()
    kept = MessageViewForm.query_of(QueryDict("mailbox=INBOX&view=text"))
    kept["view"] = "html"
    assert MessageViewForm.query_of(QueryDict("mailbox=INBOX&view=text"))["view"] == "text"
    assert FolderPageForm.query_of({"sort": "size", "order": "asc", "threads": ""}) == \
        FolderPageForm({"sort": "size", "order": "asc", "threads": ""}).query()
    for _ in range(2):
        with pytest.raises(BadRequest):
            FolderPageForm.query_of(QueryDict("mailbox=a%00b"))
    long = QueryDict("mailbox=" + "x" * 600)
    assert FolderPageForm.query_of(long) == FolderPageForm(long).query()
