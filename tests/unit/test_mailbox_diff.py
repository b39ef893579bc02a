"""The pieces that bring cached mailbox data up to date from a difference: UID sets, kept
outlines and stamped flags, and splicing arrivals into a kept order (with a stub server)."""
import random

import pytest

from webmail.imap import parse
from webmail.imap.connection import Connection
from webmail.imap.flags import Flags
from webmail.imap.folders import Folders
from webmail.imap.ordering import Ordering
from webmail.imap.selection import Selection
from webmail.imap.state import FolderState, MailboxCache
from webmail.imap.types import Address, MessageSummary, Outline, Part, ServerConfig


@pytest.mark.parametrize("seed", range(20))
def test_uid_ranges_round_trip_through_expand(seed):
    rng = random.Random(seed)
    uids = {rng.randint(1, 300) for _ in range(rng.randint(1, 120))}
    text = parse.uid_ranges(uids)
    assert parse.expand_uid_set(text) == sorted(uids)
    assert len(text.split(",")) == sum(1 for uid in uids if uid - 1 not in uids)


def test_contiguous_uids_cost_a_few_bytes():
    assert parse.uid_ranges(range(1, 100001)) == "1:100000"
    assert parse.uid_ranges([7, 3, 4, 5, 9]) == "3:5,7,9"


def _state(modseq=7):
    return FolderState(uidvalidity=42, uidnext=100, exists=10, modseq=modseq)


def test_an_outline_comes_back_from_the_cache_as_it_went_in():
    mail = MailboxCache("imap.test", 143, "Ann@Example.test")
    summary = MessageSummary(uid=5, subject="Grüße", sender=Address("Ann", "ann@x.test"),
                             to=(Address("", "bo@x.test"),), date=None, size=1234,
                             flags=None, has_attachments=True)
    outline = Outline(summary=summary, cc=(Address("Cy", "cy@x.test"),), reply_to=(),
                      message_id="<m@x>", in_reply_to="<p@x>", references="<o@x> <p@x>",
                      parts=(Part("1", "text/plain", "", 10, "7bit", "utf-8", ""),
                             Part("2", "image/png", "a.png", 99, "base64", "", "inline",
                                  related=True, content_id="img1")),
                      single=False)
    mail.keep_outlines("INBOX", _state(), [outline])
    assert mail.outlines("INBOX", _state(), [5, 6]) == {5: outline}
    other = FolderState(uidvalidity=43, uidnext=100, exists=10, modseq=7)
    assert mail.outlines("INBOX", other, [5]) == {}, "a new UIDVALIDITY starts afresh"


def test_flags_carry_the_modseq_they_were_read_at():
    mail = MailboxCache("imap.test", 143, "flags@example.test")
    mail.keep_flags("INBOX", _state(modseq=5), {1: ("\\Seen",), 2: ()})
    assert mail.flags("INBOX", _state(modseq=9), [1, 2, 3]) == {1: (5, ("\\Seen",)), 2: (5, ())}
    assert mail.flags("INBOX", _state(modseq=None), [1]) == {}, "no CONDSTORE, no kept flags"


class _SortingServer:
    """Answers the two commands _resorted sends, from a table of dates."""

    def __init__(self, dates):
        self.dates = dates  # uid -> sortable date
        self.sent = []

    def call(self, name, *args, **kwargs):
        self.sent.append(kwargs.get("label") or name)
        if name == "raw_untagged":
            return [f'(TAG "A1") UID ALL {parse.uid_ranges(self.dates)}'.encode()]
        program, criteria = args[0], args[1]
        wanted = parse.expand_uid_set(criteria[1])
        ordered = sorted(wanted, key=lambda uid: (self.dates[uid], uid))
        return ordered[::-1] if program[0] == "REVERSE" else ordered


CONFIG = ServerConfig("imap.test", 143, "none")


def _parts(call=None):
    """A Connection whose commands go to `call`, with its Selection."""
    conn = Connection(CONFIG)
    if call is not None:
        conn.call = call
    conn.has = lambda capability: True
    return conn, Selection(conn)


def _ordering(call):
    conn, sel = _parts(call)
    return Ordering(conn, sel, Flags(conn, sel))


def test_new_mail_goes_on_top_of_the_kept_order_without_a_full_sort():
    dates = {1: 10, 2: 20, 3: 30, 5: 50}
    server = _SortingServer(dates)
    kept = [5, 3, 2, 1, 4]  # 4 has been expunged since; 6 and 7 arrived
    dates.update({6: 60, 7: 70})
    assert _ordering(server.call)._resorted("DATE", True, 6, kept, 8) == [7, 6, 5, 3, 2, 1]
    assert server.sent == ["esearch_all", "sort_arrived"]


def test_an_arrival_that_belongs_inside_the_order_gives_up_for_a_full_sort():
    dates = {1: 10, 2: 20, 3: 30, 6: 25}
    assert _ordering(_SortingServer(dates).call)._resorted("DATE", True, 4, [3, 2, 1], 7) is None


def test_ascending_orders_take_new_mail_at_the_end():
    dates = {1: 10, 2: 20, 8: 90}
    assert _ordering(_SortingServer(dates).call)._resorted("DATE", False, 3, [1, 2], 9) == [1, 2, 8]


def test_uids_from_after_the_state_wait_for_the_next_state():
    dates = {1: 10, 2: 20, 9: 90}  # 9 arrived after the SELECT the list is for (UIDNEXT 3)
    assert _ordering(_SortingServer(dates).call)._resorted("DATE", True, 3, [2, 1], 3) == [2, 1]


def test_a_uid_the_kept_order_never_had_gives_up():
    dates = {1: 10, 2: 20, 3: 30}
    assert _ordering(_SortingServer(dates).call)._resorted("DATE", True, 4, [3, 1], 4) is None


@pytest.mark.parametrize("notices, outcome", [
    ([], "same"),
    ([(5, b"EXISTS")], "changed"),
    ([(b"VANISHED", b"3:4"), (6, b"FETCH", (b"UID", 9, b"FLAGS", ()))], "changed"),
    ([(b"NO", b"Internal error occurred.")], "odd"),  # Dovecot: the folder was deleted
    ([(4, b"EXISTS"), (b"BYE", b"shutting down")], "odd"),
])
def test_noop_tells_changes_it_can_take_in_from_those_it_cannot(notices, outcome):
    conn, sel = _parts(lambda name, *args, **kwargs: (b"NOOP completed", notices))
    sel.current = ("INBOX", _state())
    assert sel.noop() == outcome
    assert (sel.current is not None) == (outcome == "same")


def test_list_status_gives_every_folder_its_counts_and_asks_for_those_left_out():
    from imapclient import IMAPClient

    conn, sel = _parts()
    client = IMAPClient.__new__(IMAPClient)
    client.folder_encode = True
    conn._client = client
    asked = []

    def call(name, *args, **kwargs):
        if name == "raw_untagged":
            return [b'(\\HasNoChildren) "/" INBOX', b'(\\HasNoChildren) "/" Caf&AOk-',
                    b'(\\Noselect \\HasChildren) "/" Projects',
                    b'(\\HasNoChildren) "/" "Projects/Two words"']
        asked.append((name, args[0]))
        return {b"MESSAGES": 4, b"UNSEEN": 1}

    conn.call = call
    conn.untagged = lambda name: [b"Caf&AOk- (MESSAGES 3 UNSEEN 2)",
                                  b'"Projects/Two words" (MESSAGES 7 UNSEEN 0)'
                                  ] if name == "STATUS" else []
    folders = {f.name: (f.unread, f.total) for f in Folders(conn, sel)._list_with_status([])}
    assert folders["Café"] == (2, 3) and folders["Projects/Two words"] == (0, 7)
    assert folders["INBOX"] == (1, 4), "the folder the server left out is asked alone"
    assert asked == [("folder_status", "INBOX")]


@pytest.mark.parametrize("tokens, on_flags", [
    (["TEXT", "invoice"], False),
    (["TEXT", "unseen", "SUBJECT", "flagged"], False),  # words typed, not keys
    (["OR", "TO", "ann", "CC", "ann", "SENTSINCE", "x"], False),
    (["TEXT", "invoice", "UNSEEN"], True),
    (["FLAGGED"], True),
    (["HEADER", "X-Seen", "SEEN", "FROM", "bo"], False),
])
def test_search_results_on_flags_are_told_from_those_on_text(tokens, on_flags):
    from webmail.imap.search import depends_on_flags
    from webmail.imap.state import searchable

    assert depends_on_flags(tokens) is on_flags
    without_condstore = _state(modseq=None)
    assert searchable(without_condstore, tokens) is not on_flags
    assert searchable(_state(), tokens)


def test_new_mail_is_searched_alone_and_joins_the_kept_results():
    dates = {1: 10, 2: 20, 3: 30, 5: 50, 6: 60}
    server = _SortingServer(dates)
    matching = {6}

    def call(name, *args, **kwargs):
        if name == "search":
            server.sent.append(kwargs.get("label"))
            asked = set(parse.expand_uid_set(args[0][1]))
            return sorted(asked & matching)
        return server.call(name, *args, **kwargs)

    session = _ordering(call)
    # Results [3, 1] kept at UIDNEXT 4; 1 expunged since, 5 and 6 arrived, 6 matches.
    del dates[1]
    assert session._resorted("DATE", True, 4, [3, 1], 7, ["TEXT", "x"]) == [6, 3]
    assert server.sent == ["esearch_all", "search_arrived", "sort_arrived"]


class _Wire:
    """imaplib's side of one command: the untagged FETCH lines the server sent."""

    def __init__(self, lines):
        self.lines = lines

    def _command(self, *words):
        self.sent = words
        return "A1"

    def _command_complete(self, name, tag):
        return "OK", [b"done"]

    def _untagged_response(self, typ, data, name):
        return typ, self.lines


def _wired(lines):
    from imapclient import IMAPClient

    conn = Connection(CONFIG)
    sel = Selection(conn)
    client = IMAPClient.__new__(IMAPClient)
    client.normalise_times = False
    client._imap = _Wire(lines)
    conn._client = client
    sel.current = ("INBOX", _state(modseq=7))
    return conn, sel


def test_a_fetch_answer_about_another_message_drops_the_known_state():
    conn, sel = _wired([b"1 (UID 5 FLAGS (\\Seen) MODSEQ (7))",
                        b"2 (UID 9 FLAGS (\\Flagged) MODSEQ (8))"])  # changed elsewhere
    assert conn._fetch([5], ["FLAGS"]) == {5: {b"FLAGS": (b"\\Seen",),
                                               b"MODSEQ": (7,), b"SEQ": 1}}
    assert conn._client._imap.sent == ("UID", "FETCH", "5", "(FLAGS)")
    assert sel.current is None


def test_a_fetch_answer_within_the_known_state_keeps_it():
    conn, sel = _wired([b"1 (UID 5 FLAGS (\\Seen))"])
    conn._fetch([5], ["FLAGS"])
    assert sel.current == ("INBOX", _state(modseq=7))


@pytest.mark.parametrize("lines, moves_on", [
    ([b"1 (UID 5 MODSEQ (9) FLAGS (\\Seen))"], True),
    ([b"1 (UID 5 MODSEQ (9) FLAGS (\\Seen))", b"2 (UID 6 MODSEQ (10) FLAGS ())"], False),
    ([b"1 (MODSEQ (9) FLAGS (\\Seen))"], False),  # no UID: cannot be told apart
])
def test_a_store_answer_moves_the_state_on_only_when_it_is_all_ours(lines, moves_on):
    conn, sel = _wired(lines)
    sel.condstore = True
    sel.folder = "INBOX"
    conn.cache = MailboxCache("imap.test", 143, "store@example.test")
    conn.call = lambda name, *args, **kwargs: lines
    Flags(conn, sel).store("INBOX", [5], [b"\\Seen"])
    if moves_on:
        assert sel.current == ("INBOX", _state(modseq=9))
        assert conn.cache.flags("INBOX", _state(modseq=9), [5]) == {5: (9, ("\\Seen",))}
    else:
        assert sel.current is None


def test_a_long_kept_list_is_read_a_page_at_a_time():
    from webmail.imap import state as kept_state

    mail = MailboxCache("imap.test", 143, "blocks@example.test")
    uids = list(range(2500, 0, -1))
    mail.keep_sorted("INBOX", _state(), "DATE:desc", uids)
    assert mail.sorted("INBOX", _state(), "DATE:desc").uids == uids
    assert mail.sorted_window("INBOX", _state(), "DATE:desc", 2, 50) == (uids[50:100], 2500, 2)
    # A page across two blocks, and a page past the end (the last page is given).
    assert mail.sorted_window("INBOX", _state(), "DATE:desc", 20, 50)[0] == uids[950:1000]
    window = mail.sorted_window("INBOX", _state(), "DATE:desc", 999, 60)
    assert window == (uids[2460:], 2500, 42)
    # Blocks from another writer (another state) are not mixed in: a miss.
    other = FolderState(uidvalidity=42, uidnext=101, exists=10, modseq=7)
    key = mail._key("sorted", "INBOX", _state(), "DATE:desc")
    kept_state.cache.set(f"{key}:1", {"at": [other.uidnext, other.exists], "u": [1]})
    assert mail.sorted("INBOX", _state(), "DATE:desc") is None
    assert mail.sorted_window("INBOX", _state(), "DATE:desc", 25, 50) is None
    assert mail.sorted_window("INBOX", _state(), "DATE:desc", 1, 50)[0] == uids[:50]


def test_a_fetch_line_without_a_uid_is_not_filed_under_a_uid_of_its_number():
    # UIDs 11 and 12 sit at positions 1 and 2; another client's change to position 11
    # comes without a UID (allowed before QRESYNC).
    conn, sel = _wired([b"1 (UID 11 FLAGS ())", b"2 (UID 12 FLAGS ())",
                        b"11 (FLAGS (\\Seen))"])
    answer = conn._fetch([11, 12], ["FLAGS"])
    assert {uid: item[b"FLAGS"] for uid, item in answer.items()} == {11: (), 12: ()}
    assert sel.current is None


def test_nothing_asked_sends_nothing():
    conn, _sel = _wired([])
    assert conn._fetch([], ["FLAGS"]) == {}
    assert not hasattr(conn._client._imap, "sent")


def test_a_body_shown_with_and_without_inline_image_links_is_kept_apart():
    from webmail.imap.types import Message
    from webmail.mail import shown_bodies

    class Mail:
        def rendered_key(self, mailbox, uid, variant):
            return MailboxCache("imap.test", 143, "cid@example.test").rendered_key(
                mailbox, 1, uid, variant)

        def with_bodies(self, messages):
            return messages

    html = (b"Content-Type: text/html; charset=utf-8\r\n\r\n"
            b'<p>Look</p><img src="cid:pic1" alt="pic">')
    body = Part("1", "text/html", "", len(html), "7bit", "utf-8", "")
    image = Part("2", "image/png", "pic.png", 10, "base64", "", "inline", True, "pic1")
    message = Message(uid=9, mailbox="INBOX", subject="", sender=Address("", "a@x.test"),
                      to=(), cc=(), reply_to=(), date=None, size=1, flags=(), body=body,
                      body_raw=html, body_truncated=False, attachments=(),
                      parts=(body, image))
    plain = shown_bodies(Mail(), [message])[0]  # a conversation: no image links
    linked = shown_bodies(Mail(), [message], cid_url_for=lambda m: lambda cid: "/img/1")[0]
    assert "/img/1" in str(linked) and "/img/1" not in str(plain)
