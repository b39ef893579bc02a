"""Links to a message's pages, for the views and the API that point at them."""
from django.urls import reverse
from django.utils.http import urlencode


def message_link(name, uid, mailbox, **extra):
    """URL of one of a message's pages (message, body, part…) in a folder; uid is a
    (uid, section) pair for a part. extra goes into the query string after the folder,
    such as at=, the message's place in the folder's list, which spares reading it all."""
    args = [uid] if not isinstance(uid, (list, tuple)) else list(uid)
    return f"{reverse(f'webmail:{name}', args=args)}?{urlencode({'mailbox': mailbox, **extra})}"
