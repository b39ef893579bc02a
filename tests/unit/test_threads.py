"""Heron's own RFC 5256 REFERENCES threading, for servers without THREAD=REFERENCES."""
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from webmail.imap.threads import (
    ThreadInput,
    base_subject,
    flatten_server_threads,
    thread_references,
)

MONDAY = datetime(2024, 3, 4, 9, 0, tzinfo=timezone.utc)


def mail(uid, message_id=None, *, replies_to="", references="", subject="Lunch", minute=None):
    """A message sent `minute` minutes after Monday 09:00 (by default: its UID)."""
    return ThreadInput(
        uid=uid,
        message_id=f"<m{uid}@heron.test>" if message_id is None else message_id,
        in_reply_to=replies_to,
        references=references,
        subject=subject,
        date=MONDAY + timedelta(minutes=uid if minute is None else minute),
    )


def reply(uid, *ancestors, subject="Re: Lunch", **kwargs):
    """A reply whose References list `ancestors` (UIDs), oldest first."""
    ids = " ".join(f"<m{a}@heron.test>" for a in ancestors)
    return mail(uid, references=ids, subject=subject, **kwargs)


def test_a_reply_chain_is_one_thread_oldest_first():
    messages = [reply(3, 1, 2), mail(1), reply(2, 1)]
    assert thread_references(messages) == [[1, 2, 3]]


def test_two_replies_to_one_message_share_its_thread():
    messages = [mail(1), reply(2, 1), reply(3, 1), reply(4, 1, 3)]
    assert thread_references(messages) == [[1, 2, 3, 4]]


def test_replies_to_a_message_not_in_the_folder_are_one_thread():
    # Both answer <gone@heron.test>, which was deleted: a dummy parent holds them together.
    messages = [
        mail(1, subject="Re: Budget", references="<gone@heron.test>"),
        mail(2, subject="Re: Budget figures", replies_to="<gone@heron.test>"),
        mail(3, subject="Holiday"),
    ]
    assert thread_references(messages) == [[3], [1, 2]]


def test_a_lone_reply_to_a_missing_message_is_a_thread_of_its_own():
    assert thread_references([reply(7, 1, 2, subject="Re: Plans")]) == [[7]]


def test_a_reply_without_references_joins_its_original_by_subject():
    messages = [mail(1, subject="Lunch"), mail(2, subject="Re: Lunch"), mail(3, subject="Tea")]
    assert thread_references(messages) == [[3], [1, 2]]


def test_a_localised_reply_prefix_also_joins_by_subject():
    messages = [mail(1, subject="Termin"), mail(2, subject="AW: Termin")]
    assert thread_references(messages) == [[1, 2]]


def test_messages_with_the_same_subject_share_a_thread_even_without_a_reply_prefix():
    # RFC 5256 REFERENCES step 5.C: when neither top-level message is a reply, "create a new
    # dummy message and make both ... children of the dummy" - siblings, but one thread.
    # The reply prefix only decides parent versus sibling, never whether they are joined.
    messages = [mail(1, subject="Lunch"), mail(2, subject="lunch "), mail(3, subject="Lunch?")]
    assert thread_references(messages) == [[3], [1, 2]]


def test_only_the_first_message_of_a_thread_is_matched_by_subject():
    messages = [
        mail(1, subject="Lunch"),
        reply(2, 1, subject="Dinner"),  # changed the subject mid-thread
        mail(3, subject="Dinner"),
    ]
    assert thread_references(messages) == [[3], [1, 2]]


@pytest.mark.parametrize("subject", ["", "Re:", "   ", "Fwd: (fwd)"])
def test_messages_with_an_empty_base_subject_are_never_joined(subject):
    messages = [mail(1, subject=subject), mail(2, subject=subject)]
    assert thread_references(messages) == [[2], [1]]


def test_references_win_over_in_reply_to():
    messages = [
        mail(1, subject="Lunch"),
        mail(2, subject="Tea"),
        mail(3, subject="Re: Tea", references="<m2@heron.test>", replies_to="<m1@heron.test>"),
    ]
    assert thread_references(messages) == [[2, 3], [1]]


def test_only_the_first_id_of_in_reply_to_counts():
    # Some clients write the original sender's address after the Message ID.
    header = '<m1@heron.test> (from "Bob" <m2@heron.test>)'
    messages = [mail(1, subject="Lunch"), mail(2, subject="Tea"),
                mail(3, subject="Sure", replies_to=header)]
    assert thread_references(messages) == [[1, 3], [2]]


def test_quoting_in_a_message_id_does_not_break_the_thread():
    messages = [mail(1, message_id='<"01KF8JCE"@heron.test>', subject="Lunch"),
                mail(2, subject="Sure", references="<01KF8JCE@heron.test>")]
    assert thread_references(messages) == [[1, 2]]


def test_a_duplicated_message_id_belongs_to_the_lowest_uid():
    messages = [
        mail(5, message_id="<dup@heron.test>", subject="Second copy"),
        mail(4, message_id="<dup@heron.test>", subject="First copy"),
        mail(6, subject="Answer", references="<dup@heron.test>"),
        mail(7, message_id="<dup@heron.test>", subject="Third copy",
             references="<dup@heron.test>"),
    ]
    # 7 is a message of its own that answers 4, not a second copy of 4
    assert thread_references(messages) == [[4, 6, 7], [5]]


def test_messages_without_a_message_id_still_thread_by_their_references():
    messages = [
        mail(1, subject="Lunch"),
        mail(2, message_id="", subject="Sure", references="<m1@heron.test>"),
        mail(3, message_id="not a message id", subject="Noon?", references="<m1@heron.test>"),
        mail(4, message_id="", subject="Tea"),
        mail(5, message_id="", subject="Coffee"),
    ]
    assert thread_references(messages) == [[5], [4], [1, 2, 3]]


def test_a_reference_loop_ends_in_one_thread():
    messages = [
        mail(1, subject="A", references="<m3@heron.test> <m2@heron.test>"),
        mail(2, subject="B", references="<m1@heron.test> <m3@heron.test>"),
        mail(3, subject="C", references="<m2@heron.test> <m1@heron.test>"),
    ]
    assert thread_references(messages) == [[1, 2, 3]]


def test_a_message_that_references_itself_is_not_lost():
    messages = [mail(1, subject="Lunch", references="<m1@heron.test>"),
                mail(2, subject="Tea", references="<m0@heron.test> <m2@heron.test>")]
    assert thread_references(messages) == [[2], [1]]


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_a_ten_thousand_message_reply_chain_is_one_thread(order):
    length = 10_000
    chain = [mail(1, subject="Long")] + [
        reply(uid, *range(max(1, uid - 5), uid), subject="Re: Long")
        for uid in range(2, length + 1)]
    if order == "newest first":  # UIDs run against the chain: the links come leaf first
        chain = [
            mail(length + 1 - m.uid, m.message_id, references=m.references,
                 subject=m.subject, minute=m.uid)
            for m in chain]
    threads = thread_references(chain)
    assert len(threads) == 1
    assert len(threads[0]) == length
    assert threads[0][:2] == ([1, 2] if order == "oldest first" else [length, length - 1])


def test_thousands_of_missing_ancestors_do_not_exhaust_the_stack():
    ancestors = " ".join(f"<gone{n}@heron.test>" for n in range(10_000))
    messages = [mail(1, subject="Re: Old", references=ancestors),
                mail(2, subject="Re: Old too", references=ancestors)]
    assert thread_references(messages) == [[1, 2]]


def test_the_thread_with_the_newest_message_comes_first():
    messages = [
        mail(1, subject="Lunch", minute=0),
        reply(2, 1, minute=180),
        mail(3, subject="Tea", minute=60),
        reply(4, 3, subject="Re: Tea", minute=120),
        mail(5, subject="Coffee", minute=150),
    ]
    assert thread_references(messages) == [[1, 2], [5], [3, 4]]


def test_messages_in_a_thread_are_in_sent_order_whatever_their_uids():
    messages = [
        mail(1, subject="Lunch", minute=10),
        reply(2, 1, minute=30),
        reply(3, 1, minute=20),
        reply(4, 1, minute=20),  # same minute as 3: the lower UID goes first
    ]
    assert thread_references(messages) == [[1, 3, 4, 2]]


def test_dates_in_other_time_zones_are_compared_as_instants():
    new_york = timezone(timedelta(hours=-5))
    messages = [
        replace(mail(1, subject="Lunch"), date=datetime(2024, 3, 4, 8, 0, tzinfo=new_york)),
        replace(mail(2, subject="Tea"), date=datetime(2024, 3, 4, 12, 0, tzinfo=timezone.utc)),
    ]
    assert thread_references(messages) == [[1], [2]]  # 13:00 UTC is newer than 12:00 UTC


def test_a_message_without_a_date_sorts_as_the_oldest():
    messages = [mail(1, subject="Lunch"), replace(reply(2, 1), date=None), mail(3, subject="Tea")]
    assert thread_references(messages) == [[3], [2, 1]]


def test_an_empty_folder_has_no_threads():
    assert thread_references([]) == []


GARBAGE = ["", " ", "<>", "<<<>>>", "<a@b", "a@b>", "\x00\x01", "<\r\n>", "<a b@c>", "(<x>",
           "<" * 5000, "[" * 5000, "Re: " * 5000, '<"unterminated@x>', '"\\', None, 42]


@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_header_values_never_raise(value):
    messages = [
        ThreadInput(1, value, value, value, value, None),
        ThreadInput(2, value, value, value, value, datetime(2024, 3, 4, 9, 0)),  # naive
        ThreadInput(3, "<m3@heron.test>", value, value, value, MONDAY),
    ]
    threads = thread_references(messages)
    assert sorted(uid for thread in threads for uid in thread) == [1, 2, 3]


def test_a_uid_given_twice_is_listed_once():
    assert thread_references([mail(1), mail(1, subject="Other")]) == [[1]]


def test_every_message_lands_in_exactly_one_thread_however_tangled():
    rng = random.Random(5256)
    uids = range(1, 501)
    messages = []
    for uid in uids:
        ancestors = rng.sample(uids, rng.randint(0, 6))  # loops, self references, strays
        refs = " ".join(f"<m{a}@heron.test>" for a in ancestors)
        own = f"<m{rng.choice(uids) if rng.random() < 0.1 else uid}@heron.test>"
        subject = rng.choice(["Lunch", "Re: Lunch", "Tea", "Fwd: Tea", "", "[x]"])
        date = MONDAY + timedelta(minutes=rng.randint(0, 100)) if rng.random() < 0.9 else None
        messages.append(ThreadInput(uid, own, refs if rng.random() < 0.5 else "",
                                    refs, subject, date))
    threads = thread_references(messages)
    assert sorted(uid for thread in threads for uid in thread) == list(uids)


@pytest.mark.parametrize("subject, base", [
    ("Lunch", "lunch"),
    ("Re: Lunch", "lunch"),
    ("RE: re: Lunch", "lunch"),
    ("Re: Re: Fwd: [list] Subject (fwd)", "subject"),
    ("Fw: Lunch", "lunch"),
    ("RE[2]: Lunch", "lunch"),
    ("Re [heron-dev]: Lunch", "lunch"),
    ("[heron-dev] Re: Lunch", "lunch"),
    ("Re: [heron-dev] [urgent] Lunch", "lunch"),
    ("[Fwd: Lunch]", "lunch"),
    ("Re: [Fwd: Lunch] (fwd)", "lunch"),
    ("Lunch (fwd) (FWD)", "lunch"),
    ("  Lunch \t at\r\n  noon  ", "lunch at noon"),
    ("[heron-dev]", "[heron-dev]"),  # a tag that is the whole subject stays
    ("[heron-dev] [urgent]", "[urgent]"),
    ("Re:", ""),
    ("", ""),
    ("Remarks: Lunch", "remarks: lunch"),
    ("Lunch re: dinner", "lunch re: dinner"),
    ("AW: WG: Termin", "termin"),
    ("SV: VS: Möte", "möte"),
    ("Antw: Vergadering", "vergadering"),
    ("TR: RE: Réunion", "réunion"),
    ("RV: Reunión", "reunión"),
    ("RES: ENC: Reunião", "reunião"),
    ("ΑΠ: Συνάντηση", "συνάντηση"),
    ("回复：会议", "会议"),
    ("Straße", "strasse"),
])
def test_base_subject(subject, base):
    assert base_subject(subject) == base


def test_base_subject_of_a_hostile_subject_still_answers():
    assert base_subject("Re: " * 100_000 + "Lunch") == "lunch"
    assert base_subject("[x]" * 100_000) == "[x]"
    assert base_subject(None) == ""


@pytest.mark.parametrize("response, threads", [
    (((1,), (2, (3,), (4, 5))), [[1], [2, 3, 4, 5]]),
    (((2,), (3, 6, (4, 23), (44, 7, 96))), [[2], [3, 6, 4, 23, 44, 7, 96]]),
    ((((3,), (5,)),), [[3, 5]]),  # siblings under a parent the server does not have
    (((1, 2, 3),), [[1, 2, 3]]),
    ((), []),
    ([], []),
    (None, []),
    (b"garbage", []),
    ((7, (8, 9)), [[7], [8, 9]]),  # a bare number at the top level is its own thread
    (((1, b"x", None, (2,)),), [[1, 2]]),
    (((),), []),
])
def test_flatten_server_threads(response, threads):
    assert flatten_server_threads(response) == threads


def test_flatten_server_threads_handles_deep_nesting():
    deep = (10_000,)
    for uid in range(9_999, 0, -1):
        deep = (uid, deep)
    assert flatten_server_threads((deep,)) == [list(range(1, 10_001))]


def test_local_and_server_threads_agree_on_membership():
    # A THREAD=REFERENCES server answers "(1 2 3)(4)" for these messages.
    messages = [mail(1, subject="Lunch"), reply(2, 1), reply(3, 1, 2), mail(4, subject="Tea")]
    server = flatten_server_threads(((1, 2, 3), (4,)))
    local = thread_references(messages)
    assert sorted(map(sorted, server)) == sorted(map(sorted, local))


def test_a_thread_answer_too_deep_to_parse_falls_back_to_threading_here():
    """A chain of hostile References can make the server's THREAD answer nest hundreds
    deep, past imapclient's recursive parser: the folder still shows its conversations."""
    from webmail.imap.conversations import Conversations
    from webmail.imap.threads import ThreadInput

    class Wire:
        def has(self, capability):
            return True

        def call(self, name, *args, **kwargs):
            raise RecursionError("maximum recursion depth exceeded")

    class Listed:
        def sorted_uids(self, mailbox, sort, reverse=False, criteria=None):
            return [1, 2, 3]

    class Threading(Conversations):
        def _thread_inputs(self, uids):
            return [ThreadInput(1, "<a@x>", "", "", "Plan", None),
                    ThreadInput(2, "<b@x>", "<a@x>", "<a@x>", "Re: Plan", None),
                    ThreadInput(3, "<c@x>", "", "", "Other", None)]

    assert Threading(Wire(), Listed(), None).threads("INBOX") == [[3], [1, 2]]
