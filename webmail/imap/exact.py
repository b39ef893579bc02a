"""Finding messages by a header's exact value, without trusting SEARCH HEADER alone.

Heron finds a draft's earlier versions by X-Heron-Draft, a sent copy or a moved message by
its Message-ID, and the user's answers by In-Reply-To and References. Without a full-text
index a server answers SEARCH HEADER exactly (a substring of the field). With one, the
index may answer it instead and be wrong: Debian 12's fts-xapian (1.5.5) finds nothing for
a field it does not index (In-Reply-To, References, X-Heron-Draft) and splits a Message-ID
into words, so a long or short one is not found and another can be (docs/deploy.md,
"Full-text search").

So the candidates are the server's hits together with the folder's NEWEST latest
messages, asked in one SEARCH (a sequence set is never the index's to answer), and each is
kept only when its fetched field matches here. The versions, copies and answers Heron
looks for are almost always among the newest; on a server that searches headers itself
the hits cover older ones too.
"""
from . import parse, wall
from .errors import UnsafeInput

NEWEST = 500  # the latest messages of a folder always read, whatever the server's hits
_BATCH = 1000  # UIDs per FETCH


def matching(conn, state, key, fields, accept, label, since=None):
    """UIDs (ascending) of the selected folder, whose FolderState is state, among the
    server's hits for the search key `key` (one key, as a list) and the newest NEWEST
    messages, for which accept(raw) is true of the fetched header block of `fields`
    ("NAME OTHER", the block holding those fields as the message has them).

    since (a date): of the newest, only those that arrived on or after it (SINCE, the
    arrival date, is in every server's own index), when what is looked for cannot be
    older: an answer to a message came after it."""
    found = read(conn, state, key, fields, lambda raw: True if accept(raw) else None,
                 label, since)
    return sorted(found)


def read(conn, state, key, fields, value, label, since=None):
    """{UID: value(raw)} of matching()'s candidates for which value(raw) is not None: one
    SEARCH and one FETCH pass, whatever number of values the key asks about."""
    if not wall.is_safe(key):  # refused even when the folder is empty and nothing is sent
        raise UnsafeInput(f"refused a {label} value with CR, LF or NUL")
    if not state.exists:
        return {}
    newest: str | list = f"{max(1, state.exists - NEWEST + 1)}:*"
    if since is not None:
        newest = ["SINCE", since, newest]
    candidates = sorted(conn.call("search", ["OR", *key, newest], label=label))
    section = f"BODY.PEEK[HEADER.FIELDS ({fields})]"
    found = {}
    for start in range(0, len(candidates), _BATCH):
        data = conn.call("fetch", candidates[start:start + _BATCH], [section],
                         label=f"{label}_check")
        for uid, item in data.items():
            kept = value(parse.header_block(item))
            if kept is not None:
                found[uid] = kept
    return found
