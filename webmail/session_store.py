"""Sessions in the cache (Redis in production) where Redis being down is an outage, not
a logout."""
from django.contrib.sessions.backends import cache


class SessionStore(cache.SessionStore):
    def load(self):
        # Django's cache backend takes any error for "no such session" (memcached raises on
        # some keys): while Redis is down every user would be sent to the login page. Here
        # the error reaches MailErrorMiddleware, which shows the "Temporarily unavailable" page.
        session_data = self._cache.get(self.cache_key)
        if session_data is not None:
            return session_data
        self._session_key = None
        return {}
