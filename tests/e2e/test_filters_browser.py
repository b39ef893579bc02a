"""Filters in Chromium on the stack's Dovecot: carol makes two rules, moves one by the
keyboard, a button, the mouse and a finger on its handle, makes a spare filter set, turns
the vacation reply on and sees the banner; screenshots of each screen at 1440 and 390
pixels, light and dark."""
import os
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in
from tests.e2e.test_accessibility import SCHEMES, WIDTHS, violations
from tests.e2e.test_contacts_browser import shots_dir
from tests.e2e.test_login_browser import stack_password
from webmail.sieve.client import SieveServer, open_sieve

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
CAROL = "carol@heron.test"


@pytest.fixture
def carol_scripts():
    """carol's scripts start with none active and are as before afterwards; yields a
    function that opens her ManageSieve session."""
    server = SieveServer("127.0.0.1", int(os.environ["HERON_STACK_SIEVE_PORT"]), "none")

    def session():
        return open_sieve(server, CAROL, stack_password(CAROL), seconds=10)
    with session() as sieve:
        before = {info.name: info.active for info in sieve.list_scripts()}
        sieve.activate("")
    yield session
    with session() as sieve:
        sieve.activate(next((name for name, on in before.items() if on), ""))
        for info in sieve.list_scripts():
            if info.name not in before:
                sieve.delete_script(info.name)


def make_rule(page, name, sender, folder):
    page.get_by_role("link", name="New rule").click()
    page.get_by_label("Rule name").fill(name)
    page.get_by_label("Condition 1: field").select_option("from")
    page.get_by_label("Condition 1: comparison").select_option("contains")
    page.get_by_label("Condition 1: value").fill(sender)
    page.get_by_label("Action 1", exact=True).select_option("move")
    page.get_by_label("Action 1: folder").select_option(folder)
    page.get_by_role("button", name="Save rule").click()
    page.get_by_text(f"Saved the rule “{name}”.").wait_for()


def names_in_order(page):
    return page.locator("#filter-list .filter-name").all_inner_texts()


def test_rules_by_keyboard_and_the_vacation_banner(live_server, page, tmp_path, carol_scripts):
    base, shots = live_server.url, shots_dir(tmp_path)
    log_in(page, base, CAROL)
    page.get_by_role("link", name="Filters and vacation").click()
    page.wait_for_url(f"{base}/mail/filters/")
    make_rule(page, "Newsletters", "news@example.org", "Archive")
    make_rule(page, "From Bob", "bob@heron.test", "INBOX")
    assert names_in_order(page) == ["Newsletters", "From Bob"]

    page.get_by_label("Rule 2: From Bob").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#filters-status")).to_have_text("Saved.")
    assert names_in_order(page) == ["From Bob", "Newsletters"]
    expect(page.get_by_label("Rule 1: From Bob")).to_be_focused()
    page.get_by_role("button", name="Move “From Bob” down").click()
    expect(page.locator("#filters-status")).to_have_text("Saved.")
    assert names_in_order(page) == ["Newsletters", "From Bob"]
    page.reload()
    assert names_in_order(page) == ["Newsletters", "From Bob"]
    # By pointer: "From Bob" dropped on the upper half of "Newsletters" goes above it.
    target = page.get_by_label("Rule 1: Newsletters")
    page.get_by_label("Rule 2: From Bob").drag_to(target, target_position={"x": 40, "y": 4})
    expect(page.locator("#filters-status")).to_have_text("Saved.")
    page.reload()
    assert names_in_order(page) == ["From Bob", "Newsletters"]

    page.get_by_role("switch", name="Rule “Newsletters” on").click()
    expect(page.get_by_role("switch", name="Rule “Newsletters” on")).to_have_attribute(
        "aria-checked", "false")

    page.get_by_role("link", name="Filter sets", exact=True).click()
    page.get_by_label("Name of the new filter set").fill("heron-spare")
    page.get_by_label("Start from").select_option(label="An empty filter set")
    page.get_by_role("button", name="Make the filter set").click()
    page.get_by_text("Made the filter set “heron-spare”.").wait_for()
    expect(page.get_by_role("button", name="Activate “heron-spare”")).to_be_visible()
    with carol_scripts() as sieve:
        assert sieve.get_script("heron-spare") == ""

    page.get_by_role("link", name="Vacation reply", exact=True).click()
    page.get_by_label("Send a vacation reply").check()
    page.get_by_label("Last day").fill("2099-01-31")
    page.get_by_label("Subject").fill("Away this week")
    page.get_by_label("Message").fill("I am away; back soon.")
    page.get_by_label("Send replies from").select_option(CAROL)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved your vacation reply.").wait_for()
    with carol_scripts() as sieve:
        assert f':from "{CAROL}"' in sieve.get_script("heron")
    page.goto(f"{base}/mail/")
    expect(page.get_by_text("Your vacation reply is on until")).to_be_visible()

    page.goto(f"{base}/mail/filters/")
    rule_url = base + page.get_by_role("link", name="Edit “Newsletters”").get_attribute("href")
    screens = (("filters", f"{base}/mail/filters/"), ("rule", rule_url),
               ("vacation", f"{base}/mail/filters/vacation/"),
               ("script", f"{base}/mail/filters/script/"),
               ("sets", f"{base}/mail/filters/sets/"), ("banner", f"{base}/mail/"))
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, height in ((1440, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            for name, url in screens:
                page.goto(url)
                page.screenshot(path=str(shots / f"filters-{name}-{width}-{scheme}.png"),
                                full_page=True)

    page.get_by_role("button", name="Turn it off").click()
    page.get_by_text("Your vacation reply is off.").wait_for()
    expect(page.get_by_text("Your vacation reply is on until")).to_have_count(0)


SCRIPT = (
    'require ["fileinto","vacation"];\r\n'
    "# rule:[Vacation]\r\n"
    "if false # true\r\n"
    "{\r\n"
    '\tvacation :days 7 :subject "Away" "Back soon.";\r\n'
    "}\r\n"
    "# rule:[Receipts from a long-named shop with a very long rule name indeed]\r\n"
    'if header :contains "subject" "Your receipt from a shop with a long name"\r\n'
    "{\r\n"
    '\tfileinto "Archive";\r\n'
    "}\r\n"
    'redirect "someone-else@example.org";\r\n'
)


def test_the_filters_pages_pass_axe_and_fit_a_phone(live_server, browser, carol_scripts):
    with carol_scripts() as sieve:
        sieve.put_script("heron-a11y", SCRIPT)
        sieve.activate("heron-a11y")
    base = live_server.url
    pages = {"rules": "/mail/filters/", "rule": "/mail/filters/rule/0/",
             "new": "/mail/filters/new/", "vacation": "/mail/filters/vacation/",
             "script": "/mail/filters/script/", "sets": "/mail/filters/sets/"}
    found, wide = {}, {}
    for width in WIDTHS:
        for scheme in SCHEMES:
            w, h = WIDTHS[width]
            context = browser.new_context(viewport={"width": w, "height": h},
                                          color_scheme=scheme)
            page = context.new_page()
            log_in(page, base, CAROL)
            for name, path in pages.items():
                page.goto(base + path)
                lines = violations(page)
                if lines:
                    found[f"{name} {width} {scheme}"] = lines
            page.set_viewport_size({"width": 360, "height": 740})
            for name, path in pages.items() if (width, scheme) == ("phone", "light") else ():
                page.goto(base + path)
                if page.evaluate("document.documentElement.scrollWidth") > 360:
                    wide[name] = page.evaluate("document.documentElement.scrollWidth")
            page.goto("about:blank")
            context.close()
    assert found == {}, found
    assert wide == {}, "pages wider than a 360 px phone"


TWO_RULES = (
    'require ["fileinto"];\r\n'
    "# rule:[Newsletters]\r\n"
    'if header :contains "from" "news@example.org"\r\n'
    "{\r\n"
    '\tfileinto "Archive";\r\n'
    "}\r\n"
    "# rule:[From Bob]\r\n"
    'if header :contains "from" "bob@heron.test"\r\n'
    "{\r\n"
    '\tfileinto "INBOX";\r\n'
    "}\r\n"
)


def touch(cdp, kind, x=None, y=None):
    """A real touch event from Chromium's input pipeline (so Pointer Events of pointerType
    "touch", and touch-action applies), as Playwright's own tap sends it."""
    points = [] if x is None else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def centre(box):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_rule_is_moved_by_touch_on_its_handle(live_server, browser, carol_scripts):
    with carol_scripts() as sieve:
        sieve.put_script("heron-touch", TWO_RULES)
        sieve.activate("heron-touch")
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    log_in(page, base, CAROL)
    page.goto(f"{base}/mail/filters/")
    assert names_in_order(page) == ["Newsletters", "From Bob"]
    cdp = context.new_cdp_session(page)

    # A finger on the handle of "From Bob", moved to the upper half of "Newsletters".
    x, y = centre(page.get_by_label("Rule 2: From Bob").locator(".drag-handle").bounding_box())
    target = page.get_by_label("Rule 1: Newsletters").bounding_box()
    goal = target["y"] + 6
    touch(cdp, "touchStart", x, y)
    for step in range(1, 9):
        touch(cdp, "touchMove", x, y + (goal - y) * step / 8)
    expect(page.get_by_label("Rule 1: Newsletters")).to_have_class(re.compile("drop-before"))
    touch(cdp, "touchEnd")
    expect(page.locator("#filters-status")).to_have_text("Saved.")
    assert names_in_order(page) == ["From Bob", "Newsletters"]
    page.reload()
    assert names_in_order(page) == ["From Bob", "Newsletters"]
    with carol_scripts() as sieve:
        text = sieve.get_script("heron-touch")
    assert text.index("rule:[From Bob]") < text.index("rule:[Newsletters]")

    # A finger lifted where it started moves nothing and saves nothing.
    x, y = centre(page.get_by_label("Rule 1: From Bob").locator(".drag-handle").bounding_box())
    page.locator("#filters-status").evaluate("node => { node.textContent = ''; }")
    touch(cdp, "touchStart", x, y)
    touch(cdp, "touchMove", x + 2, y + 2)
    touch(cdp, "touchEnd")
    expect(page.locator(".filter-row.dragging")).to_have_count(0)
    expect(page.locator("#filters-status")).to_have_text("")
    assert names_in_order(page) == ["From Bob", "Newsletters"]

    # Elsewhere on a row a finger drags nothing (there it scrolls the page instead).
    x, y = centre(page.get_by_label("Rule 1: From Bob").locator(".filter-text").bounding_box())
    goal = centre(page.get_by_label("Rule 2: Newsletters").bounding_box())[1] + 10
    touch(cdp, "touchStart", x, y)
    for step in range(1, 9):
        touch(cdp, "touchMove", x, y + (goal - y) * step / 8)
    expect(page.locator(".drop-before, .drop-after, .dragging")).to_have_count(0)
    touch(cdp, "touchEnd")
    expect(page.locator("#filters-status")).to_have_text("")
    assert names_in_order(page) == ["From Bob", "Newsletters"]
    context.close()
