"""Confirming an address: a link mailed to it, through the user's own SMTP, proves that the
user receives mail there before Heron sends as it.

The link carries a signed token (django.core.signing, its own salt) bound to the user, the
identity, the address and a nonce kept on the identity; it expires after CONFIRM_DAYS. A
new link or a confirmation replaces the nonce, so a link works once and only the latest
one works. Opening it shows a page; confirming is a POST from that page.
"""
import secrets
from datetime import timedelta
from email.headerregistry import Address

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.debug import sensitive_variables

from webmail import smtp
from webmail.mime import compose

from . import identities
from .domains import servers_for
from .models import Identity

SALT = "heron.accounts.confirm-identity"
CONFIRM_DAYS = 3
RESEND_SECONDS = 60


class ConfirmRefused(identities.IdentityRefused):
    """The link or the request was not good; message says why, for the user."""


def token_for(identity):
    return signing.dumps({"u": identity.user_id, "i": identity.pk,
                          "a": identity.email.strip().lower(), "n": identity.confirm_nonce},
                         salt=SALT)


def check(user, identity, token):
    """Raises ConfirmRefused unless token confirms identity's present address for user."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(days=CONFIRM_DAYS))
    except signing.SignatureExpired:
        raise ConfirmRefused(ngettext(
            "This link has expired: links work for %(days)s day. Send a new one from Settings.",
            "This link has expired: links work for %(days)s days. Send a new one from Settings.",
            CONFIRM_DAYS) % {"days": CONFIRM_DAYS}) from None
    except signing.BadSignature:
        raise ConfirmRefused(gettext("This link is not valid. Copy the whole link from the "
                                     "message, or send a new one from Settings.")) from None
    if not isinstance(data, dict) or data.get("u") != user.pk or data.get("i") != identity.pk:
        raise ConfirmRefused(gettext("This link is for another identity."))
    if data.get("a") != identity.email.strip().lower():
        raise ConfirmRefused(gettext("This link was for %(old)s, but this identity now sends "
                                     "as %(email)s. Send a new link from Settings.")
                             % {"old": data.get("a"), "email": identity.email})
    if identity.is_confirmed():
        raise ConfirmRefused(gettext("%(email)s is already confirmed.") % {
            "email": identity.email})
    if not identity.confirm_nonce or data.get("n") != identity.confirm_nonce:
        raise ConfirmRefused(gettext("This link has been used, or a newer one was sent since. "
                                     "Use the latest link, or send a new one from Settings."))


def confirm(user, identity, token):
    """Mark identity confirmed if token is good (see check); raises ConfirmRefused."""
    with transaction.atomic():
        locked = Identity.objects.select_for_update().get(user=user, pk=identity.pk)
        check(user, locked, token)
        locked.confirmed_email = locked.email.strip()
        locked.confirm_nonce = ""
        locked.save(update_fields=["confirmed_email", "confirm_nonce"])
    identity.confirmed_email, identity.confirm_nonce = locked.confirmed_email, ""


def _mail_text(login, email, link):
    """The confirmation mail's text, in the language of the page that asked for it."""
    return ngettext(
        "%(login)s asked to send mail as %(email)s in Heron.\n\n"
        "To confirm, open this link while logged in as %(login)s and press Confirm "
        "(it works once, for %(days)s day):\n\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: nothing is sent as this "
        "address unless it is confirmed.\n",
        "%(login)s asked to send mail as %(email)s in Heron.\n\n"
        "To confirm, open this link while logged in as %(login)s and press Confirm "
        "(it works once, for %(days)s days):\n\n%(link)s\n\n"
        "If you did not ask for this, ignore this message: nothing is sent as this "
        "address unless it is confirmed.\n",
        CONFIRM_DAYS) % {"login": login, "email": email, "days": CONFIRM_DAYS, "link": link}


@sensitive_variables("password")
def send_link(user, identity, password, confirm_url):
    """Mail a new confirmation link for identity to its address, from the login address,
    through the user's SMTP server and login. confirm_url(token) gives the absolute URL.

    Raises ConfirmRefused when a link was sent less than RESEND_SECONDS ago, the session
    holds no password, or the mail server did not take the message."""
    if password is None:
        raise ConfirmRefused(gettext("Log in again to send the confirmation link: this "
                                     "session cannot send mail."))
    now = timezone.now()
    with transaction.atomic():
        locked = Identity.objects.select_for_update().get(user=user, pk=identity.pk)
        if locked.confirm_sent and now - locked.confirm_sent < timedelta(seconds=RESEND_SECONDS):
            raise ConfirmRefused(gettext("A link was sent to %(email)s less than a minute ago. "
                                         "Check that mailbox, or try again in a minute.")
                                 % {"email": locked.email})
        locked.confirm_nonce, locked.confirm_sent = secrets.token_hex(16), now
        locked.save(update_fields=["confirm_nonce", "confirm_sent"])
    identity.confirm_nonce, identity.confirm_sent = locked.confirm_nonce, now
    login = identities.login_address(user)
    link = confirm_url(token_for(locked))
    message = compose.message_bytes(compose.build_message(compose.Outgoing(
        sender=Address(addr_spec=login), to=(Address(addr_spec=locked.email),),
        subject=gettext("Confirm that you send as %(email)s") % {"email": locked.email},
        text=_mail_text(login, locked.email, link))))
    try:
        smtp.send(servers_for(user.username).smtp, user.username, password,
                  smtp.Envelope(login, (locked.email,)), message,
                  trusted_relay=identities.sending_rules(user).trusted_relay)
    except smtp.SmtpError as failed:
        raise ConfirmRefused(gettext("The confirmation link could not be sent to %(email)s: "
                                     "%(reason)s Use Resend to try again.")
                             % {"email": locked.email, "reason": _why(failed)}) from None


def _why(failed):
    if isinstance(failed, smtp.SmtpNoAuth):
        return ("the mail server does not ask for a login (SMTP AUTH), so sending is switched "
                "off; please tell your administrator.")
    if isinstance(failed, smtp.SmtpBadAddress):
        return f"{failed.args[0]}."
    if isinstance(failed, smtp.SmtpAuthFailed):
        return "the mail server refused your login for sending."
    if isinstance(failed, smtp.SmtpRefused):
        return f"the mail server said {failed.args[0]}."
    return "the mail server for sending cannot be reached right now."
