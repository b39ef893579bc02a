"""The watcher's vouch as frontends read it (webmail/imap/vouch.py), on the local cache."""
import time

import pytest
from django.core.cache import cache

from webmail.imap import vouch
from webmail.imap.state import FolderState, MailboxCache
from webmail.imap.types import Mailbox
from webmail.imap.vouch import Vouch, Voucher, record_key

ACCOUNT = MailboxCache("imap.test", 143, "alice@heron.test").account
STATE = FolderState(7, 101, 100, 555)


@pytest.fixture(autouse=True)
def clean():
    cache.clear()
    yield
    cache.clear()


def confirmed_then_trusted(mailbox="INBOX", state=STATE):
    """A request confirms state on the wire under the present token; the next request's
    trusted() answer."""
    first = Vouch(ACCOUNT)
    assert first.trusted(mailbox) is None
    first.keep(mailbox, state)
    second = Vouch(ACCOUNT)
    return second.trusted(mailbox)


def test_without_a_watcher_nothing_is_trusted():
    assert confirmed_then_trusted() is None


def test_a_state_confirmed_under_a_listening_watcher_is_trusted_next_time():
    Voucher(ACCOUNT).start(everything=True)
    assert confirmed_then_trusted() == STATE


def test_a_state_without_modseq_comes_back_without_it():
    Voucher(ACCOUNT).start(everything=True)
    state = FolderState(7, 101, 100, None)
    assert confirmed_then_trusted(state=state) == state


def test_a_change_the_watcher_heard_ends_the_trust_in_that_folder_only():
    voucher = Voucher(ACCOUNT)
    voucher.start(everything=True)
    assert confirmed_then_trusted("INBOX") == STATE
    assert confirmed_then_trusted("Sent") == STATE
    voucher.bump("INBOX")
    assert Vouch(ACCOUNT).trusted("INBOX") is None
    assert Vouch(ACCOUNT).trusted("Sent") == STATE


def test_a_change_of_something_unknown_ends_all_trust():
    voucher = Voucher(ACCOUNT)
    voucher.start(everything=True)
    assert confirmed_then_trusted("Sent") == STATE
    voucher.bump(None)
    assert Vouch(ACCOUNT).trusted("Sent") is None


def test_herons_own_change_ends_the_trust_at_once():
    Voucher(ACCOUNT).start(everything=True)
    assert confirmed_then_trusted() == STATE
    Vouch(ACCOUNT).changed()
    assert Vouch(ACCOUNT).trusted("INBOX") is None


def test_a_new_connection_of_the_watcher_trusts_nothing_from_before():
    Voucher(ACCOUNT).start(everything=True)
    assert confirmed_then_trusted() == STATE
    Voucher(ACCOUNT).start(everything=True)  # its replacement, after a death
    assert Vouch(ACCOUNT).trusted("INBOX") is None


def test_under_idle_only_the_folder_listened_to_is_vouched_for():
    Voucher(ACCOUNT).start(everything=False, idle_folder="INBOX")
    assert confirmed_then_trusted("INBOX") == STATE
    assert confirmed_then_trusted("Archive") is None


def test_a_stopped_or_expired_watcher_vouches_for_nothing():
    voucher = Voucher(ACCOUNT)
    voucher.start(everything=True)
    assert confirmed_then_trusted() == STATE
    voucher.stop()
    assert Vouch(ACCOUNT).trusted("INBOX") is None
    voucher.start(everything=True)
    cache.delete(record_key(ACCOUNT))  # expired: the watcher was held up
    voucher.refresh()  # written again, under a new epoch
    assert cache.get(record_key(ACCOUNT)) is not None
    assert Vouch(ACCOUNT).trusted("INBOX") is None


def test_another_account_never_reads_alices_vouch():
    Voucher(ACCOUNT).start(everything=True)
    confirmed_then_trusted()
    carol = MailboxCache("imap.test", 143, "carol@heron.test").account
    assert Vouch(carol).trusted("INBOX") is None


def test_a_spoilt_record_is_no_vouch():
    Voucher(ACCOUNT).start(everything=True)
    confirmed_then_trusted()
    cache.set(record_key(ACCOUNT), {"epoch": "x", "all": True, "idle": "",
                                    "seqs": {"a": "not a count"}})
    assert Vouch(ACCOUNT).trusted("INBOX") is None


def test_the_folder_list_kept_under_a_watcher_lasts_while_its_epoch_does():
    voucher = Voucher(ACCOUNT)
    voucher.start(everything=True)
    kept = MailboxCache("imap.test", 143, "alice@heron.test")
    folders = [Mailbox("INBOX", "Inbox", "/", "inbox", 0, True, 3, 10)]
    epoch = Vouch(ACCOUNT).everything()
    assert epoch is not None
    kept.keep_folders(folders, epoch)
    assert kept.folders(Vouch(ACCOUNT).everything()) == folders
    voucher.bump(None)
    assert kept.folders(Vouch(ACCOUNT).everything()) is None


def test_a_confirmed_state_is_trusted_only_for_the_trust_seconds(monkeypatch, settings):
    """A change the server tells late, or never, stays unseen at most that long: the
    confirmed state lives that long in the shared cache (its clock, not a frontend's), then
    the next request asks the server again, and its answer is trusted anew."""
    settings.HERON_VOUCH_TRUST_SECONDS = 1
    Voucher(ACCOUNT).start(everything=True)
    lifetimes = []
    cache_set = cache.set

    def noting(key, value, timeout=None, **kwargs):
        if key.startswith("heron:confirmed:"):
            lifetimes.append(timeout)
        return cache_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(vouch.cache, "set", noting)
    assert confirmed_then_trusted() == STATE
    assert lifetimes == [1]
    time.sleep(1.2)
    asking = Vouch(ACCOUNT)
    assert asking.trusted("INBOX") is None
    asking.keep("INBOX", STATE)  # the server answered: trusted again from now
    assert Vouch(ACCOUNT).trusted("INBOX") == STATE
