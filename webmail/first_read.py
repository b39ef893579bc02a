"""The first read: a GET's session, its user and the state of the folder it names come from
the shared cache in one round trip (accounts/readahead.py).

Its own module, not webmail/middleware.py: the logging configuration imports that one
before the apps are loaded, and this one needs the mail services."""
from accounts import readahead

from . import mail


class FirstReadMiddleware:
    """Begins each GET's first read; goes before SessionMiddleware, whose session load makes
    it. What the read held is dropped when the response is made."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            readahead.begin(mail.mailbox_guess(request))
        try:
            return self.get_response(request)
        finally:
            readahead.end()
