"""Named Sieve errors: webmail/sieve/ raises only these. Each carries `message`, a
user-facing sentence already translated, that never holds a password or raw server bytes."""
from django.utils.translation import gettext


class SieveError(Exception):
    """Base of every error webmail/sieve/ raises."""

    def default_message(self):
        return gettext("The filter server reported an error.")

    def __init__(self, message=None):
        self.message = str(message) if message else self.default_message()
        super().__init__(self.message)


class SieveUnavailable(SieveError):
    """The server is down, slower than the deadline, failed TLS or spoke garbage."""

    def default_message(self):
        return gettext("The filter server cannot be reached right now. "
                       "Please try again in a moment.")


class SieveAuthFailed(SieveError):
    """The server refused the user's login."""

    def default_message(self):
        return gettext("The filter server refused your login.")


class SieveRefused(SieveError):
    """The server said NO to a command (CHECKSCRIPT, PUTSCRIPT…); line is the script line
    the server named, when it named one."""

    def default_message(self):
        return gettext("The filter server refused the request.")

    def __init__(self, message=None, line=None):
        super().__init__(message)
        self.line = line


class SieveTooLarge(SieveError):
    """The script is over HERON_SIEVE_MAX_BYTES or over the server's quota."""

    def default_message(self):
        return gettext("The filters are too large for the filter server.")
