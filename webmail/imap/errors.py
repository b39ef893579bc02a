"""Named mail errors: the IMAP layer raises only these; middleware maps them to pages."""
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class MailError(Exception):
    """Base of every error the IMAP layer raises."""

    user_message = _("The mail server reported an error.")


class AuthFailed(MailError):
    """The server refused the credentials."""

    user_message = _("Wrong address or password.")


class MailServerUnavailable(MailError):
    """The server could not be reached, timed out or dropped the connection."""

    user_message = _("The mail server cannot be reached right now. Please try again in a moment.")


class LoginElsewhere(MailServerUnavailable):
    """The server refused the login with a referral to another server ([REFERRAL] on
    LOGIN, RFC 2221): the account lives elsewhere. Heron sends no password to a server
    another server names; an operator routes the login there (a Route in admin)."""

    user_message = _("This mail server says your mailbox is kept on another server. Ask "
                     "your administrator to send your login there.")


class MailboxNotFound(MailError):
    """The folder does not exist (or is not selectable)."""

    user_message = _("That folder does not exist.")


class MessageGone(MailError):
    """The message was deleted or moved since the page was shown."""

    user_message = _("That message no longer exists. It may have been moved or deleted.")


class ServerRefused(MailError):
    """The server answered NO or BAD to a command (a folder that exists, a bad name…)."""

    def __init__(self, detail=""):
        super().__init__(detail)
        detail = " ".join(str(detail).split())[:200]
        self.user_message = (gettext("The mail server refused: %(detail)s") % {"detail": detail}
                             if detail else _("The mail server refused the request."))


class MailboxElsewhere(ServerRefused):
    """The server keeps the folder on another server and refers Heron there ([REFERRAL],
    RFC 2193). Heron follows no referral: the user is told so, never shown the URL."""

    def __init__(self, detail=""):
        super().__init__(detail)
        self.user_message = _("That folder is kept on another mail server, which Heron "
                              "cannot open from here.")


class NoSuchFolderRole(MailError):
    """An action needs a special folder (Trash, Junk, Archive) that the account lacks."""

    user_message = _("That special folder does not exist on this account.")


class Untrackable(MailError):
    """A message to move that could not be found again after the move: it has no
    Message-ID, and the server does not say where it moves a message (no UIDPLUS)."""

    user_message = _("This message has no Message-ID, and this mail server does not say "
                     "where it moves a message, so Heron could not find it again.")


class UnsafeInput(MailError):
    """An argument that could break out of its place in an IMAP command (CR, LF or NUL, or
    a login name the protocol cannot carry): refused before anything reached the server."""

    user_message = _("That request contained a line break or a control character, which "
                     "Heron never passes on to the mail server. Nothing was changed.")
