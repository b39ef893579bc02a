"""Which list a mailbox page shows: a folder, its conversations, or search results."""
from .imap import search as imap_search

# Searching "all folders" leaves these out, as Gmail's "All Mail" does.
NOT_SEARCHED = {"trash", "junk"}


def list_page(mail, folders, query, search, per_page):
    """The MessagePage for the list pane, from the folder query and the search query."""
    if search.active and search.everywhere:
        names = [f.name for f in folders if f.selectable and f.role not in NOT_SEARCHED]
        return mail.search_everywhere(names, imap_search.criteria(search), query["page"],
                                      per_page, attachment=search.attachment)
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
    uids = mail.answers_in(sent, [m.message_id for m in messages])
    answers = [m for m in mail.messages(sent, uids, prefer="text", mark_read=False,
                                        fetch_body=False) if m.message_id not in have]
    return sorted([*messages, *answers], key=lambda m: (m.date is None, m.date or 0, m.uid))
