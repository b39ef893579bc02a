"""Recipient suggestions: the personal book first (names, every address, group names),
then the addresses collected from mail. Two queries, each bounded by the limit."""
from accounts import contacts as collected

from . import cards
from .books import existing_book

MAX_LIMIT = 50


def suggest(user, prefix, limit=8):
    prefix = "".join(ch if ch.isprintable() else " " for ch in (prefix or "")[:1000])
    prefix = " ".join(prefix.split())[:254]
    if not prefix:
        return []
    limit = max(1, min(int(limit), MAX_LIMIT))
    book = existing_book(user)
    found = cards.suggest(book, prefix, limit) if book else []
    known = {item["email"] for item in found if item["email"]}
    for item in collected.suggest(user, prefix, limit):
        if len(found) >= limit:
            break
        if item["email"] not in known:
            found.append(item)
    return found
