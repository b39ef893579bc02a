"""Sessions in the cache (Redis in production) where Redis being down is an outage, not
a logout.

A session is its dict of JSON's types, written by the sessions alias's serializer
(webmail.cachejson.SessionSerializer): never unpickled into code, and readable by the
release before during a rolling upgrade (see SESSION_CACHE_FORMAT in settings)."""
from django.contrib.sessions.backends import cache

from accounts import readahead


class SessionStore(cache.SessionStore):
    def load(self):
        # Django's cache backend takes any error for "no such session" (memcached raises on
        # some keys): while Redis is down every user would be sent to the login page. Here
        # the error reaches MailErrorMiddleware, which shows the "Temporarily unavailable" page.
        # Read with what the request's pages read of the shared cache, in one round trip
        # when it can (accounts/readahead.py).
        session_data = readahead.read_session(self._cache, self.cache_key)
        # Anything but a dict (bytes that did not read, another shape) is no session.
        if isinstance(session_data, dict):
            return session_data
        self._session_key = None
        return {}
