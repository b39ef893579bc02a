"""The Filters pages through the fake ManageSieve server: rules, order, switches, vacation,
the script editor and filter sets, as alice sees them; and what carol cannot reach."""
import re
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from accounts import identities
from accounts.models import Identity
from tests.fakes.sieve import FakeSieveServer
from tests.unit.conftest import PASSWORDS, log_in
from webmail import filters
from webmail.models import VacationSummary

pytestmark = pytest.mark.django_db
ALICE, CAROL = "alice@heron.test", "carol@heron.test"

# As Roundcube's managesieve plugin writes a script: tabs, "# rule:[…]" before each rule,
# a disabled rule as "if false # …".
ROUNDCUBE = (
    'require ["fileinto","imap4flags"];\r\n'
    "# rule:[Boss]\r\n"
    'if header :contains "from" "boss@example.org"\r\n'
    "{\r\n"
    '\tfileinto "Work";\r\n'
    "}\r\n"
    "# rule:[Lists]\r\n"
    'if false # anyof (header :contains "list-id" "dev.example.org", header :is "subject" "x")\r\n'
    "{\r\n"
    '\tfileinto "Lists";\r\n'
    "\tstop;\r\n"
    "}\r\n"
)


@pytest.fixture
def sieve(monkeypatch, settings):
    settings.MANAGESIEVE_PORT = 4190
    server = FakeSieveServer({ALICE: PASSWORDS[ALICE], CAROL: PASSWORDS[CAROL]})
    monkeypatch.setattr(filters, "open_sieve", server.open)
    return server


@pytest.fixture
def roundcube(sieve):
    sieve.scripts[ALICE] = {"roundcube": ROUNDCUBE}
    sieve.active[ALICE] = "roundcube"
    return sieve


@pytest.fixture
def carol(fake_server, db):
    client = Client()
    assert log_in(client, CAROL).status_code == 302
    return client


def version(server, user=ALICE, name=None):
    name = name or server.active.get(user) or filters.OWN_SCRIPT
    return filters.version_of(server.scripts.get(user, {}).get(name, ""))


def rule_post(server, **fields):
    post = {"version": version(server), "name": "From Bob", "enabled": "on", "match": "all",
            "cond_field": ["from"], "cond_header": [""], "cond_op": ["contains"],
            "cond_value": ["bob@heron.test"], "action_kind": ["move"],
            "action_folder": ["Projects"], "action_value": [""]}
    post.update(fields)
    return post


# --- the list ------------------------------------------------------------------------------

def test_the_filters_page_lists_roundcubes_rules_in_order_with_their_state(alice, roundcube):
    page = alice.get("/mail/filters/").content.decode()
    assert page.index("Boss") < page.index("Lists")
    assert 'aria-label="Rule “Boss” on"' in page
    assert re.search(r'aria-checked="false" aria-label="Rule “Lists” on"', page)


def test_without_managesieve_filters_says_they_are_not_available(alice, settings):
    settings.MANAGESIEVE_PORT = 0
    response = alice.get("/mail/filters/")
    assert response.status_code == 200
    assert "Filters are not available on this server." in response.content.decode()


def test_a_server_that_is_down_gives_a_clear_page_not_an_error(alice, sieve):
    sieve.down = True
    for url in ("/mail/filters/", "/mail/filters/vacation/", "/mail/filters/script/",
                "/mail/filters/sets/", "/mail/filters/new/"):
        response = alice.get(url)
        assert response.status_code == 503
        assert "cannot be reached" in response.content.decode()


def test_a_refused_login_is_said_so(alice, sieve):
    sieve.passwords[ALICE] = "another"
    response = alice.get("/mail/filters/")
    assert response.status_code == 503 and "refused your login" in response.content.decode()


# --- making and changing rules -----------------------------------------------------------

def test_the_first_rule_starts_and_activates_the_heron_script(alice, sieve):
    response = alice.post("/mail/filters/new/", rule_post(sieve))
    assert response.status_code == 302
    assert sieve.active[ALICE] == "heron"
    text = sieve.scripts[ALICE]["heron"]
    assert "# rule:[From Bob]" in text and 'fileinto "Projects"' in text
    assert "From Bob" in alice.get("/mail/filters/").content.decode()


def test_heron_writes_beside_other_scripts_without_touching_them(alice, sieve):
    sieve.scripts[ALICE] = {"other": 'keep;\n'}
    alice.post("/mail/filters/new/", rule_post(sieve))
    assert sieve.scripts[ALICE]["other"] == "keep;\n"
    assert sieve.active[ALICE] == "heron"


def test_opening_and_saving_a_roundcube_rule_unchanged_keeps_the_script_byte_for_byte(
        alice, roundcube):
    page = alice.get("/mail/filters/rule/0/").content.decode()
    assert 'value="boss@example.org"' in page
    response = alice.post("/mail/filters/rule/0/", rule_post(
        roundcube, name="Boss", cond_field=["from"], cond_op=["contains"],
        cond_value=["boss@example.org"], action_folder=["Work"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_switching_a_rule_off_and_on(alice, roundcube):
    alice.post("/mail/filters/rule/0/toggle/", {"version": version(roundcube), "enabled": "off"})
    assert "if false" in roundcube.scripts[ALICE]["roundcube"].split("# rule:[Lists]")[0]
    page = alice.get("/mail/filters/").content.decode()
    assert re.search(r'aria-checked="false" aria-label="Rule “Boss” on"', page)
    alice.post("/mail/filters/rule/0/toggle/", {"version": version(roundcube), "enabled": "on"})
    # Back on, the rule is its old text again (require lists only what is still used).
    rules = ROUNDCUBE[ROUNDCUBE.index("# rule:[Boss]"):]
    assert roundcube.scripts[ALICE]["roundcube"].endswith(rules)


def test_moving_a_rule_down_by_its_button_and_by_script_answers_json(alice, roundcube):
    response = alice.post("/mail/filters/rule/0/move/", {
        "version": version(roundcube), "direction": "down"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = roundcube.scripts[ALICE]["roundcube"]
    assert response.json()["version"] == filters.version_of(text)
    assert text.index("rule:[Lists]") < text.index("rule:[Boss]")


def test_a_dragged_order_is_saved_and_a_made_up_one_is_404(alice, roundcube):
    state_page = alice.get("/mail/filters/").content.decode()
    indexes = re.findall(r'class="filter-row[^"]*" data-index="(\d+)"', state_page)
    response = alice.post("/mail/filters/order/", {
        "version": version(roundcube), "order": list(reversed(indexes))})
    assert response.status_code == 302
    text = roundcube.scripts[ALICE]["roundcube"]
    assert text.index("rule:[Lists]") < text.index("rule:[Boss]")
    before = roundcube.scripts[ALICE]["roundcube"]
    for order in (["0", "0", "1"], ["9"], ["x"], ["99999999"]):
        response = alice.post("/mail/filters/order/", {"version": version(roundcube),
                                                       "order": order})
        assert response.status_code == 404
    assert roundcube.scripts[ALICE]["roundcube"] == before


def test_deleting_a_rule(alice, roundcube):
    alice.post("/mail/filters/rule/0/delete/", {"version": version(roundcube)})
    text = roundcube.scripts[ALICE]["roundcube"]
    assert "rule:[Boss]" not in text and "rule:[Lists]" in text


def test_a_save_from_a_stale_tab_is_refused_and_keeps_what_was_typed(alice, roundcube):
    stale = version(roundcube)
    alice.post("/mail/filters/rule/0/delete/", {"version": stale})
    after = roundcube.scripts[ALICE]["roundcube"]
    response = alice.post("/mail/filters/new/", rule_post(roundcube, version=stale,
                                                          name="Typed in tab two"))
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed elsewhere" in page and 'value="Typed in tab two"' in page
    assert roundcube.scripts[ALICE]["roundcube"] == after


def test_a_rule_the_server_refuses_shows_its_words_and_changes_nothing(alice, roundcube):
    roundcube.refuse("line 9: error: unknown folder.", containing="Projects")
    response = alice.post("/mail/filters/new/", rule_post(roundcube))
    assert response.status_code == 400
    assert "unknown folder" in response.content.decode()
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_five_hundred_conditions_are_refused_clearly(alice, roundcube):
    many = 500
    response = alice.post("/mail/filters/new/", rule_post(
        roundcube, cond_field=["from"] * many, cond_header=[""] * many,
        cond_op=["contains"] * many, cond_value=["x"] * many))
    assert response.status_code == 400
    assert "at most 50 conditions" in response.content.decode()
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_regex_is_offered_only_when_the_server_has_it(alice, roundcube):
    assert "regular expression" in alice.get("/mail/filters/new/").content.decode()
    roundcube.extensions = frozenset({"fileinto"})
    assert "regular expression" not in alice.get("/mail/filters/new/").content.decode()
    response = alice.post("/mail/filters/new/", rule_post(roundcube, cond_op=["regex"]))
    assert response.status_code == 400
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_a_folder_with_quotes_and_accents_is_a_target(alice, sieve, fake_server):
    folder = 'Café "Ünïcode"'
    fake_server.accounts[ALICE]["folders"][folder] = []
    response = alice.post("/mail/filters/new/", rule_post(sieve, action_folder=[folder]))
    assert response.status_code == 302, response.content.decode()[:3000]
    text = sieve.scripts[ALICE]["heron"]
    assert 'fileinto "Café \\"Ünïcode\\""' in text
    page = alice.get("/mail/filters/rule/0/").content.decode()
    assert "selected>Café &quot;Ünïcode&quot;</option>" in page


def test_a_server_that_reads_utf7_folder_names_gets_them(alice, sieve, fake_server, settings):
    settings.MANAGESIEVE_FOLDER_ENCODING = "utf-7"
    fake_server.accounts[ALICE]["folders"]["Café"] = []
    response = alice.post("/mail/filters/new/", rule_post(sieve, action_folder=["Café"]))
    assert response.status_code == 302
    saved = sieve.scripts[ALICE]["heron"]
    assert 'fileinto "Caf&AOk-"' in saved
    page = alice.get("/mail/filters/rule/0/").content.decode()
    assert "selected>Café</option>" in page
    alice.post("/mail/filters/rule/0/", rule_post(sieve, action_folder=["Café"]))
    assert sieve.scripts[ALICE]["heron"] == saved


def test_add_and_remove_buttons_keep_what_was_typed(alice, sieve):
    response = alice.post("/mail/filters/new/", rule_post(sieve, add_condition="1"))
    page = response.content.decode()
    assert page.count('name="cond_value"') == 2 and 'value="bob@heron.test"' in page
    response = alice.post("/mail/filters/new/", rule_post(sieve, remove_action="0"))
    assert response.content.decode().count('name="action_kind"') == 1
    assert "heron" not in sieve.scripts[ALICE]


def test_filter_messages_like_this_fills_a_new_rule_from_the_sender(alice, sieve):
    query = {"from": "news@example.org", "subject": "Weekly", "like": "1", "mailbox": "INBOX"}
    page = alice.get("/mail/filters/new/", query).content.decode()
    assert 'value="news@example.org"' in page
    assert page.count('name="cond_value"') == 1  # the subject is offered, not imposed
    assert "Also match the subject “Weekly”" in page
    page = alice.get("/mail/filters/new/", {**query, "subject_too": "1"}).content.decode()
    assert page.count('name="cond_value"') == 2 and 'value="Weekly"' in page


def test_the_message_menu_offers_filter_messages_like_this(alice, sieve):
    page = alice.get("/mail/message/1/", {"mailbox": "INBOX"}).content.decode()
    assert "Filter messages like this" in page
    assert "/mail/filters/new/?from=" in page


def test_filter_messages_like_this_from_a_list_matches_its_list_id(alice, sieve, monkeypatch):
    asked = []

    def list_id_of(request, mailbox, uid):
        asked.append((mailbox, uid))
        return "dev.lists.example.org"
    monkeypatch.setattr(filters, "list_id_of", list_id_of)
    page = alice.get("/mail/filters/new/", {"from": "a@example.org", "like": "7",
                                            "mailbox": "Projects"}).content.decode()
    assert asked == [("Projects", 7)]
    assert 'value="List-Id"' in page and 'value="dev.lists.example.org"' in page
    assert alice.get("/mail/filters/new/", {"like": "7", "mailbox": "a\nb\r"}).status_code == 400


def test_the_list_id_is_read_from_the_header_alone(alice, sieve, fake_server):
    assert filters._LIST_ID.search(b"List-Id: Dev <dev.example.org>\r\n").group(1) == (
        b"dev.example.org")
    assert filters._LIST_ID.search(b"List-Id: <a b>\r\n") is None


# --- vacation ----------------------------------------------------------------------------

def vacation_post(server, **fields):
    post = {"version": version(server), "enabled": "on", "first_day": "",
            "last_day": (date.today() + timedelta(days=5)).isoformat(), "subject": "Away",
            "message": "Back next week.", "addresses": ALICE, "days": "3"}
    post.update(fields)
    return post


def test_vacation_on_shows_the_banner_without_asking_the_server(alice, sieve):
    page = alice.get("/mail/filters/vacation/").content.decode()
    assert ALICE in page  # answering for her addresses by default
    response = alice.post("/mail/filters/vacation/", vacation_post(sieve))
    assert response.status_code == 302, response.content.decode()[:3000]
    text = sieve.scripts[ALICE]["heron"]
    assert "# rule:[Vacation]" in text and ":days 3" in text
    opened = sieve.opened
    page = alice.get("/mail/").content.decode()
    assert "Your vacation reply is on until" in page
    assert sieve.opened == opened
    alice.post("/mail/filters/vacation/off/", {"next": "/mail/"})
    assert "Your vacation reply is on" not in alice.get("/mail/").content.decode()
    assert "# rule:[Vacation]" in sieve.scripts[ALICE]["heron"]  # remembered, off


def test_vacation_before_its_first_day_shows_no_banner(alice, sieve):
    start = (timezone.localdate() + timedelta(days=2)).isoformat()
    alice.post("/mail/filters/vacation/", vacation_post(sieve, first_day=start, last_day=""))
    assert VacationSummary.objects.get(user__username=ALICE).enabled
    assert "Your vacation reply is on" not in alice.get("/mail/").content.decode()


def test_vacation_with_the_last_day_before_the_first_is_refused(alice, sieve):
    response = alice.post("/mail/filters/vacation/", vacation_post(
        sieve, first_day="2030-01-10", last_day="2030-01-01"))
    assert response.status_code == 400 and "comes before" in response.content.decode()
    assert "heron" not in sieve.scripts[ALICE]


def test_a_server_without_vacation_says_so_and_refuses_a_reply(alice, sieve):
    sieve.extensions = frozenset({"fileinto"})
    assert "does not offer vacation replies" in alice.get(
        "/mail/filters/vacation/").content.decode()
    response = alice.post("/mail/filters/vacation/", vacation_post(sieve))
    assert response.status_code == 400
    assert "does not offer vacation replies" in response.content.decode()
    assert "heron" not in sieve.scripts[ALICE]


def test_two_tabs_saving_the_vacation_reply_conflict(alice, sieve):
    stale = version(sieve)
    alice.post("/mail/filters/new/", rule_post(sieve))
    saved = sieve.scripts[ALICE]["heron"]
    response = alice.post("/mail/filters/vacation/", vacation_post(sieve, version=stale,
                                                                   subject="Typed here"))
    assert response.status_code == 409
    assert 'value="Typed here"' in response.content.decode()
    assert sieve.scripts[ALICE]["heron"] == saved


def test_vacation_replies_come_from_a_chosen_identity(alice, sieve):
    user = get_user_model().objects.get(username=ALICE)
    identities.save(user, Identity(email="alice.work@heron.test", name="Alice at work"))
    page = alice.get("/mail/filters/vacation/").content.decode()
    assert '<option value="" selected>(the address the mail was sent to)</option>' in page
    assert '<option value="alice.work@heron.test">alice.work@heron.test</option>' in page
    response = alice.post("/mail/filters/vacation/", vacation_post(
        sieve, sender="alice.work@heron.test"))
    assert response.status_code == 302
    text = sieve.scripts[ALICE]["heron"]
    assert ':from "alice.work@heron.test"' in text
    assert filters.sieve_script.parse(text).vacation.sender == "alice.work@heron.test"
    page = alice.get("/mail/filters/vacation/").content.decode()
    assert '<option value="alice.work@heron.test" selected>' in page
    alice.post("/mail/filters/vacation/", vacation_post(sieve, sender=""))
    assert ":from" not in sieve.scripts[ALICE]["heron"]


@pytest.mark.parametrize("sender", ["bob@heron.test", "alice.work@heron.test\r\nBcc: x",
                                    "x" * 300])
def test_a_reply_address_that_is_not_the_users_identity_is_refused(alice, sieve, sender):
    response = alice.post("/mail/filters/vacation/", vacation_post(sieve, sender=sender))
    assert response.status_code == 400
    assert "Send replies from one of your own addresses" in response.content.decode()
    assert "Back next week." in response.content.decode()  # what was typed is kept
    assert "heron" not in sieve.scripts[ALICE]


def test_a_reply_address_set_elsewhere_is_shown_as_not_an_identity(alice, sieve):
    sieve.scripts[ALICE] = {"heron": (
        'require ["vacation"];\n# rule:[Vacation]\nif true\n{\n\tvacation :days 7 '
        ':from "boss@example.org" "Away.";\n}\n')}
    sieve.active[ALICE] = "heron"
    page = alice.get("/mail/filters/vacation/").content.decode()
    assert "The reply was set to come from boss@example.org, which is not one of your" in page


def test_a_subject_with_a_line_break_is_refused(alice, sieve):
    response = alice.post("/mail/filters/vacation/", vacation_post(sieve, subject="a\r\nBcc: x"))
    assert response.status_code == 400
    assert "heron" not in sieve.scripts[ALICE]


# --- the script editor and filter sets -----------------------------------------------------

def test_a_script_with_an_error_is_refused_with_the_line_and_the_old_one_kept(alice, roundcube):
    text = ROUNDCUBE + "frobnicate;\n"
    roundcube.refuse("line 13: error: unknown command 'frobnicate'.", containing="frobnicate")
    response = alice.post("/mail/filters/script/?name=roundcube", {
        "text": text, "version": version(roundcube)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 13" in page and "frobnicate" in page
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_a_script_is_saved_when_the_server_accepts_it(alice, roundcube):
    text = ROUNDCUBE.replace("Work", "Projects")
    response = alice.post("/mail/filters/script/?name=roundcube", {
        "text": text, "version": version(roundcube)})
    assert response.status_code == 302
    assert roundcube.scripts[ALICE]["roundcube"] == text


def test_a_one_megabyte_script_is_refused_clearly(alice, roundcube):
    response = alice.post("/mail/filters/script/?name=roundcube", {
        "text": "# x\n" * 262_144, "version": version(roundcube)})
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_the_script_editor_detects_another_tabs_save(alice, roundcube):
    stale = version(roundcube)
    roundcube.scripts[ALICE]["roundcube"] = "keep;\n"
    response = alice.post("/mail/filters/script/?name=roundcube", {
        "text": "discard;\n", "version": stale})
    assert response.status_code == 409 and "discard;" in response.content.decode()
    assert roundcube.scripts[ALICE]["roundcube"] == "keep;\n"


def test_filter_sets_activate_and_delete(alice, roundcube):
    roundcube.scripts[ALICE]["old"] = "keep;\n"
    page = alice.get("/mail/filters/sets/").content.decode()
    assert "roundcube" in page and "old" in page
    assert alice.post("/mail/filters/sets/delete/", {"name": "roundcube"}).status_code == 404
    alice.post("/mail/filters/sets/activate/", {"name": "old"})
    assert roundcube.active[ALICE] == "old"
    alice.post("/mail/filters/sets/delete/", {"name": "roundcube"})
    assert "roundcube" not in roundcube.scripts[ALICE]


def test_a_made_up_set_name_is_404(alice, roundcube):
    assert alice.get("/mail/filters/script/", {"name": "nope"}).status_code == 404
    assert alice.get("/mail/filters/script/", {"name": "a\nb"}).status_code == 404
    assert alice.post("/mail/filters/sets/activate/", {"name": "nope"}).status_code == 404


def test_a_new_empty_filter_set_is_listed_and_can_be_activated_and_edited(alice, roundcube):
    response = alice.post("/mail/filters/sets/new/", {"name": "  Holidays  ", "source": ""})
    assert response.status_code == 302
    assert roundcube.scripts[ALICE]["Holidays"] == ""
    assert roundcube.active[ALICE] == "roundcube"  # made, not used yet
    assert ("CHECKSCRIPT", "") in roundcube.commands  # the server checked it first
    page = alice.get("/mail/filters/sets/").content.decode()
    assert "Made the filter set “Holidays”" in page and "Activate “Holidays”" in page
    assert alice.get("/mail/filters/script/", {"name": "Holidays"}).status_code == 200
    alice.post("/mail/filters/sets/activate/", {"name": "Holidays"})
    assert roundcube.active[ALICE] == "Holidays"
    # The Rules page now edits the active set, the new one.
    alice.post("/mail/filters/new/", rule_post(roundcube))
    assert "# rule:[From Bob]" in roundcube.scripts[ALICE]["Holidays"]
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_a_new_filter_set_can_start_as_a_copy(alice, roundcube):
    response = alice.post("/mail/filters/sets/new/", {"name": "Try out", "source": "roundcube"})
    assert response.status_code == 302
    assert roundcube.scripts[ALICE]["Try out"] == ROUNDCUBE
    assert roundcube.active[ALICE] == "roundcube"
    assert 'value="roundcube">A copy of “roundcube”' in alice.get(
        "/mail/filters/sets/").content.decode()


@pytest.mark.parametrize(("name", "source", "said"), [
    ("roundcube", "", "There is already a filter set named “roundcube”"),
    ("heron-check", "", "There is already a filter set named “heron-check”"),
    ("", "", "Give the filter set a name."),
    ("a/b", "", "without line breaks, quotes, slashes or backslashes"),
    ('say "hi"', "", "without line breaks, quotes, slashes or backslashes"),
    ("a\nb", "", "without line breaks, quotes, slashes or backslashes"),
    ("é" * 100, "", "without line breaks, quotes, slashes or backslashes"),
    ("x" * 129, "", "at most 128 characters"),
])
def test_a_bad_or_taken_name_for_a_new_set_is_refused_clearly(alice, roundcube, name, source,
                                                              said):
    response = alice.post("/mail/filters/sets/new/", {"name": name, "source": source})
    assert response.status_code == 400
    page = response.content.decode()
    assert said in page.replace("&quot;", '"'), page[:3000]
    assert roundcube.scripts[ALICE] == {"roundcube": ROUNDCUBE}


@pytest.mark.parametrize("source", ["nope", "a\nb", "x" * 200])
def test_copying_a_set_that_is_not_there_is_404(alice, roundcube, source):
    response = alice.post("/mail/filters/sets/new/", {"name": "new", "source": source})
    assert response.status_code == 404
    assert roundcube.scripts[ALICE] == {"roundcube": ROUNDCUBE}


def test_a_new_set_the_server_refuses_is_not_made_and_its_words_are_shown(alice, roundcube):
    roundcube.refuse("error: too many scripts.")
    response = alice.post("/mail/filters/sets/new/", {"name": "Another", "source": ""})
    assert response.status_code == 400 and "too many scripts" in response.content.decode()
    assert "Another" not in roundcube.scripts[ALICE]
    assert 'value="Another"' in response.content.decode()  # what was typed is kept


def test_carol_cannot_copy_alices_set(alice, carol, roundcube):
    response = carol.post("/mail/filters/sets/new/", {"name": "mine", "source": "roundcube"})
    assert response.status_code == 404
    assert roundcube.scripts[CAROL] == {} and "mine" not in roundcube.scripts[ALICE]


# --- who may ask, and how ------------------------------------------------------------------

URLS = ["/mail/filters/", "/mail/filters/new/", "/mail/filters/rule/0/",
        "/mail/filters/rule/0/toggle/", "/mail/filters/rule/0/move/",
        "/mail/filters/rule/0/delete/", "/mail/filters/order/", "/mail/filters/vacation/",
        "/mail/filters/vacation/off/", "/mail/filters/script/", "/mail/filters/sets/",
        "/mail/filters/sets/activate/", "/mail/filters/sets/delete/",
        "/mail/filters/sets/new/"]


@pytest.mark.parametrize("url", URLS)
def test_every_filters_page_needs_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/mail/filters/rule/0/toggle/", "/mail/filters/rule/0/move/",
                                 "/mail/filters/rule/0/delete/", "/mail/filters/order/",
                                 "/mail/filters/vacation/off/", "/mail/filters/sets/activate/",
                                 "/mail/filters/sets/delete/", "/mail/filters/sets/new/"])
def test_changes_refuse_get(alice, sieve, url):
    assert alice.get(url).status_code == 405


@pytest.mark.parametrize("url", ["/mail/filters/", "/mail/filters/sets/"])
def test_pages_refuse_post(alice, sieve, url):
    assert alice.post(url).status_code == 405


def test_posts_need_the_csrf_token(alice, roundcube):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = alice.cookies
    response = strict.post("/mail/filters/rule/0/delete/", {"version": version(roundcube)})
    assert response.status_code == 403
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_carol_reaches_only_her_own_scripts(alice, carol, roundcube):
    assert carol.get("/mail/filters/rule/0/").status_code == 404
    assert carol.get("/mail/filters/script/", {"name": "roundcube"}).status_code == 404
    assert carol.post("/mail/filters/sets/delete/", {"name": "roundcube"}).status_code == 404
    assert carol.post("/mail/filters/rule/0/delete/", {"version": version(roundcube)}
                      ).status_code == 404
    assert roundcube.scripts[ALICE]["roundcube"] == ROUNDCUBE


def test_a_rule_index_out_of_range_or_on_a_raw_block_is_404(alice, roundcube):
    roundcube.scripts[ALICE]["roundcube"] = ROUNDCUBE + "redirect \"x@example.org\";\n"
    for index in (2, 99, 10**30):
        assert alice.get(f"/mail/filters/rule/{index}/").status_code == 404


def test_the_vacation_banner_shows_on_a_message_page_kept_whole(alice, sieve):
    for _ in range(2):  # drawn, then kept
        assert "Your vacation reply is on" not in alice.get(
            "/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    alice.post("/mail/filters/vacation/", vacation_post(sieve))
    page = alice.get("/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
    assert "Your vacation reply is on until" in page
    alice.post("/mail/filters/vacation/off/", {"next": "/mail/"})
    assert "Your vacation reply is on" not in alice.get(
        "/mail/message/6/", {"mailbox": "INBOX"}).content.decode()
