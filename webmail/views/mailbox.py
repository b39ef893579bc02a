from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts import preferences

from .. import events, kept_page, woken
from ..forms import FolderPageForm, MessageViewForm, SearchForm
from ..imap.navigation import current_folder
from ..links import message_link
from ..listing import (
    folder_results,
    list_page,
    preferred_order,
    remembered_order,
    searched_folders,
    streams,
    with_own_answers,
    without_stream,
)
from ..mail import mail_for, quota_for, shown_bodies
from ..middleware import style_nonce


@never_cache
@vary_on_headers("HX-Request")
@login_required
@require_GET
def mailbox(request):
    """The three-pane mail page; with HX-Request only the message list fragment."""
    prefs = preferences.shown(request.user)
    query = preferred_order(prefs, FolderPageForm.query_of(request.GET), request.GET)
    query = remembered_order(request.session, query, request.GET)
    search_form = SearchForm(request.GET)
    search = search_form.query()
    streamed = streams(search, request.GET) and not request.headers.get("HX-Request")
    # The change watcher listens for users with a folder open (webmail/push.py).
    events.present(request.user.username, query["mailbox"])
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        page = list_page(mail, folders, query, search, prefs["per_page"], streamed)
        page, snoozed = woken.on_top(mail, request.user, page, query, search)
        quota = quota_for(request, mail)
    current = current_folder(folders, query["mailbox"])
    context = {"folders": folders, "page": page, "current": current, "query": query,
               "search": search, "search_form": search_form, "quota": quota,
               "mailbox": query["mailbox"], "snoozed": snoozed,
               "streaming": searched_folders(folders) if streamed else None,
               "stream_query": without_stream(request.GET)}
    # Kept whole for the values it shows (kept_page), as the message page is.
    if request.headers.get("HX-Request"):
        return kept_page.page(request, "webmail/_message_list.html", context)
    # Its reading pane holds bodies in srcdoc frames (views/message.py).
    return kept_page.page(request, "webmail/mailbox.html", context,
                          nonce=style_nonce(request), notices=True)


@never_cache
@login_required
@require_GET
def search_folder(request):
    """One folder's first page of hits of a search of all folders (folder=, and the search's
    fields), as rows for the streamed search page; 404 for a folder it does not search."""
    query = FolderPageForm.query_of(request.GET)
    search = SearchForm(request.GET).query()
    if not (search.active and search.everywhere):
        raise Http404("not a search of all folders")
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        prefs = preferences.shown(request.user)
        page = folder_results(mail, folders, request.GET.get("folder", ""), search,
                              prefs["per_page"])
    if page is None:
        raise Http404("no such folder")
    return render(request, "webmail/_search_folder.html", {
        "page": page, "query": query, "current": current_folder(folders, query["mailbox"]),
        "prefs": prefs})


@never_cache
@login_required
@require_GET
def thread(request, uid):
    """A conversation read together: every message, oldest first, the newest open."""
    query = MessageViewForm.query_of(request.GET)
    with mail_for(request) as mail:
        folders = mail.list_mailboxes()
        uids = mail.thread_of(query["mailbox"], uid)
        shown = mail.messages(query["mailbox"], uids, prefer="text", fetch_body=False,
                              mark_read=preferences.effective(request.user,
                                                              "mark_read") == "now")
        if not shown:  # (thread_of answers [uid] for a UID the folder does not hold)
            raise Http404("no such message")
        mailbox = query["mailbox"]
        shown = with_own_answers(mail, mailbox, shown)
        # Bodies by folder: shown_bodies() fetches those it lacks from one folder at a time.
        bodies = {}
        for folder in dict.fromkeys(m.mailbox for m in shown):
            those = [m for m in shown if m.mailbox == folder]
            bodies.update(zip(((m.mailbox, m.uid) for m in those), shown_bodies(mail, those)))
        conversation = [(message, bodies[message.mailbox, message.uid],
                         message_link("body", message.uid, message.mailbox, view="text"))
                        for message in shown]
    current = current_folder(folders, query["mailbox"])
    return render(request, "webmail/thread.html", {
        "folders": folders, "current": current, "query": query,
        "conversation": conversation, "mailbox": mailbox,
        "snoozed": woken.notes(request.user, mailbox)})
