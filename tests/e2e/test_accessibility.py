"""axe-core (tests/e2e/vendor/axe-core) run in Chromium on every main page of Heron, in the
light and the dark theme, at a desktop and a phone width: no serious or critical
violation of WCAG 2.1 A and AA (and axe's best practices) may be found."""
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e.conftest import log_in
from tests.e2e.test_reading_browser import BOB, bob_folder  # noqa: F401 (fixture)
from tests.integration import mailfactory as mf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
SCHEMES = ("light", "dark")


def violations(page):
    """axe's serious and critical findings on the page, as readable lines."""
    # Playwright's evaluate is not an inline script: the page's CSP does not stop it.
    page.evaluate(AXE)
    result = page.evaluate("""() => axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                        "best-practice"]},
        resultTypes: ["violations"]})""")
    found = []
    for rule in result["violations"]:
        if rule["impact"] not in ("serious", "critical"):
            continue
        for node in rule["nodes"][:5]:
            found.append(f'{rule["id"]} ({rule["impact"]}): {node["target"]} '
                         f'{node.get("failureSummary", "")[:200]}')
    return found


@pytest.fixture
def mail_pages(live_server, browser, bob_folder):
    """The URLs of the main pages, for a logged-in Bob with a folder of three messages."""
    conn, folder = bob_folder
    for n, subject in enumerate(("Quarterly plan", "Lunch on Friday", "Photos")):
        conn.append(folder, mf.message(subject=subject, text=f"Text of {subject}",
                                       days=n).as_bytes())
    conn.select_folder(folder, readonly=True)
    uid = max(conn.search(["ALL"]))
    base, q = live_server.url, quote(folder)
    return {"list": f"{base}/mail/?mailbox={q}",
            "message": f"{base}/mail/message/{uid}/?mailbox={q}",
            "compose": f"{base}/mail/compose/",
            "settings": f"{base}/accounts/settings/",
            "folders": f"{base}/mail/folders/",
            "scheduled": f"{base}/mail/outbox/",
            "snoozed": f"{base}/mail/snoozed/",
            "search": f"{base}/mail/?mailbox={q}&q=plan"}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_serious_accessibility_violation_on_any_main_page(live_server, browser,
                                                             mail_pages, width, scheme):
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, color_scheme=scheme)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        found = {"login": violations(page)}
        log_in(page, live_server.url, BOB)
        for name, url in mail_pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            found[name] = violations(page)
        found = {name: lines for name, lines in found.items() if lines}
        assert found == {}, json.dumps(found, indent=1)
    finally:
        page.goto("about:blank")
        context.close()


def test_no_page_scrolls_sideways_on_a_360_px_phone(live_server, browser, mail_pages):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = {"login": width} if width > 360 else {}
        log_in(page, live_server.url, BOB)
        for name, url in mail_pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                wide[name] = width
        assert wide == {}, "pages wider than the phone's 360 px"
    finally:
        page.goto("about:blank")
        context.close()
