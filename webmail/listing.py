"""Which list a mailbox page shows: a folder, its conversations, or search results."""
from datetime import UTC, datetime, timedelta

from .forms import FolderPageForm
from .imap import parse
from .imap import search as imap_search
from .imap.types import MessagePage

# Searching "all folders" leaves these out, as Gmail's "All Mail" does.
NOT_SEARCHED = {"trash", "junk"}
# The sort order chosen for each folder, in the Django session: {folder: {sort, order,
# threads}}, the most recently chosen last, at most MAX_REMEMBERED folders.
REMEMBERED_ORDER = "heron_sort"
MAX_REMEMBERED = 200


def preferred_order(prefs, query, data):
    """The folder query with the user's default sort, order and conversations (Settings →
    Mailbox) when the request names no sort."""
    if "sort" in data:
        return query
    again = FolderPageForm.query_of({"sort": prefs["sort"], "order": prefs["order"],
                                     "threads": "on" if prefs["conversations"] else ""})
    return {**query, **{key: again[key] for key in ("sort", "order", "reverse", "threads")}}


def remembered_order(session, query, data):
    """The folder query (FolderPageForm.query()) with the sort order the user last chose
    for its folder when the request (data) names none; one that names one (sort=, as the
    list's sort form does) is remembered for the folder."""
    kept = session.get(REMEMBERED_ORDER)
    kept = dict(kept) if isinstance(kept, dict) else {}
    mailbox = query["mailbox"]
    if "sort" in data:
        choice = {"sort": query["sort"], "order": query["order"], "threads": query["threads"]}
        if kept.get(mailbox) != choice:
            kept.pop(mailbox, None)
            kept[mailbox] = choice
            session[REMEMBERED_ORDER] = dict(list(kept.items())[-MAX_REMEMBERED:])
        return query
    choice = kept.get(mailbox)
    if not isinstance(choice, dict):
        return query
    # Checked as a request's values are: a session can outlive a release's sort orders.
    again = FolderPageForm({"sort": choice.get("sort"), "order": choice.get("order"),
                            "threads": "on" if choice.get("threads") is True else ""}).query()
    return {**query, **{key: again[key] for key in ("sort", "order", "reverse", "threads")}}


def searched_folders(folders):
    """The names of the folders a search of all folders looks in, in the folder list's order."""
    return [f.name for f in folders if f.selectable and f.role not in NOT_SEARCHED]


def streams(search, data):
    """Whether the page of a search of all folders comes empty, to be filled in folder by
    folder as each answers: search-stream.js asks for it (stream=1) where it runs."""
    return bool(search.active and search.everywhere and data.get("stream") == "1")


def without_stream(data):
    """The request's query string without stream= and page=: what a folder's part of a
    streamed search is asked with, and the link to the whole page at once."""
    params = data.copy()
    for name in ("stream", "page"):
        params.pop(name, None)
    return params.urlencode()


def folder_results(mail, folders, name, search, per_page):
    """One folder's first page of a search of all folders (see Conversations.search_folder),
    or None when the folder is not one that search looks in."""
    if name not in searched_folders(folders):
        return None
    return mail.search_folder(name, imap_search.criteria(search), per_page,
                              attachment=search.attachment)


def list_page(mail, folders, query, search, per_page, streamed=False):
    """The MessagePage for the list pane, from the folder query and the search query; empty
    for a streamed search of all folders (see streams())."""
    if streamed:
        return MessagePage(mailbox="", messages=(), page=1, pages=1, total=0)
    if search.active and search.everywhere:
        return mail.search_everywhere(searched_folders(folders), imap_search.criteria(search),
                                      query["page"], per_page, attachment=search.attachment)
    if query["threads"] and not search.attachment:
        criteria = imap_search.criteria(search) if search.active else None
        return mail.conversation_page(query["mailbox"], query["page"], per_page, criteria)
    return mail.page(query["mailbox"], query["page"], per_page, query["sort"],
                     query["reverse"], search if search.active else None)


def with_own_answers(mail, mailbox, messages):
    """A conversation's messages of one folder together with the user's own answers to
    them from Sent (a reply lives there, not in the Inbox), oldest first. Each keeps its
    mailbox, so its links and actions go to the folder it is in."""
    sent = mail.folder_roles().get("sent")
    if not messages or not sent or sent == mailbox:
        return list(messages)
    have = {m.message_id for m in messages}
    # An answer was written after what it answers: two days' margin for a sender's clock
    # or time zone. A message without a date, or dated ahead of now (a wrong clock, or a
    # hostile sender), gives no such bound.
    dates = [parse.as_aware(m.date) for m in messages]
    since = (None if not dates or None in dates or max(dates) > datetime.now(UTC)
             else min(each.date() for each in dates) - timedelta(days=2))
    uids = mail.answers_in(sent, [m.message_id for m in messages], since=since)
    answers = [m for m in mail.messages(sent, uids, prefer="text", mark_read=False,
                                        fetch_body=False) if m.message_id not in have]
    return sorted([*messages, *answers], key=lambda m: (m.date is None, m.date or 0, m.uid))
