"""Snoozed messages back in their folder: where a list shows them, and the note of when
they were snoozed.

"On top" is read as the user reads it: a woken message takes its place in the list as if
it had arrived the moment it came back, as Gmail places it. A MOVE back keeps the message
as it was (its Date, and its INTERNALDATE as RFC 6851 asks), so no sort order the server
offers would put it there: Heron's newest-first lists (by date or by arrival, and
the conversations) place it themselves, on page 1, among the messages newer and older
than its return. It stays there, read or not, until newer mail pushes it off page 1; then
it is in its own place again and the row is done. Orders the user chose by name, subject
or size, ascending ones and search results keep their order, with the note. Other mail
programs see it unread and, having a new UID, last in UID order ("order received").

The woken rows of a folder cost one query on the (owner, state) index per list page, and
one FETCH of their flags only when the folder has some.
"""
import dataclasses

from . import pending
from .models import Snooze

State = Snooze.State
# The sort orders in which the newest comes first, where a woken message goes on top.
NEWEST_FIRST = {"date", "arrival"}


def notes(user, mailbox):
    """{UID: when it was snoozed} of the messages of `mailbox` that came back to it."""
    if not mailbox or not pending.figures(user)["woken"]:
        return {}
    return {item["back"]: row.snoozed_at
            for row in Snooze.objects.filter(owner=user, back_in=mailbox,
                                             state__in=(State.WOKEN, State.DONE))
            for item in row.messages if item.get("back")}


def on_top(mail, user, page, query, search):
    """(the list page with the folder's woken messages placed as if they arrived when they
    came back, {UID: when it was snoozed} for the notes of its rows). See the module."""
    if not page.mailbox or not pending.figures(user)["woken"]:
        return page, {}
    rows = list(Snooze.objects.filter(owner=user, back_in=page.mailbox,
                                      state__in=(State.WOKEN, State.DONE)))
    noted = {item["back"]: row.snoozed_at for row in rows for item in row.messages
             if item.get("back")}
    placing = query["threads"] or (query["sort"] in NEWEST_FIRST and query["reverse"])
    rows = [row for row in rows if row.state == State.WOKEN]
    if not rows or page.page != 1 or search.active or not placing:
        return page, noted
    uids = [item["back"] for row in rows for item in row.messages if item.get("back")]
    present = {s.uid: s for s in mail.summaries(page.mailbox, uids, confirm=True)}
    # A full page 1 ends at this date: a message that came back before it is off the page.
    edge = page.messages[-1].date if page.pages > 1 and page.messages else None
    placed, done = [], []
    for row in rows:
        mine = sorted((present[item["back"]] for item in row.messages
                       if item.get("back") in present),
                      key=lambda s: (s.date is not None, s.date or 0, s.uid), reverse=True)
        if not mine or (edge is not None and row.woken_at < edge):
            done.append(row.pk)
        elif query["threads"]:
            placed.append((row.woken_at, [dataclasses.replace(
                mine[0], thread_size=len(mine), thread_unread=sum(s.unread for s in mine))]))
        else:
            placed.append((row.woken_at, mine))
    if done:
        Snooze.objects.filter(pk__in=done, state=State.WOKEN).update(state=State.DONE)
    if not placed:
        return page, noted
    taken = {s.uid for _at, mine in placed for s in mine}
    if query["threads"]:
        taken.update(item["back"] for row in rows for item in row.messages
                     if row.pk not in done and item.get("back"))
    placed.sort(key=lambda each: each[0], reverse=True)
    merged: list = []
    for summary in (m for m in page.messages if m.uid not in taken):
        while placed and (summary.date is None or placed[0][0] >= summary.date):
            merged.extend(placed.pop(0)[1])
        merged.append(summary)
    for _at, mine in placed:
        merged.extend(mine)
    # (offset None: the rows' places in the folder's sorted list are not their places here.)
    return dataclasses.replace(page, messages=tuple(merged), offset=None), noted
