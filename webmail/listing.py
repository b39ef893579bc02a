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
