"""The split-key credential vault.

The IMAP password is needed on every IMAP connection, so Heron keeps it, encrypted: the
server-side session holds only the ciphertext, and the key that opens it lives only in the
user's HttpOnly cookie. A dump of the session store alone, or the cookie alone, reveals
nothing. The key is random per login, never derived from SECRET_KEY.
"""
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

SESSION_FIELD = "vault"


@sensitive_variables("password")
def seal(request, response, password):
    """Encrypt password under a fresh key: ciphertext to the session, key to a cookie.

    Call after django.contrib.auth.login(), which cycles the session key.
    """
    key = Fernet.generate_key()
    request.session[SESSION_FIELD] = Fernet(key).encrypt(password.encode("utf-8")).decode("ascii")
    response.set_cookie(
        settings.VAULT_COOKIE_NAME, key.decode("ascii"),
        max_age=settings.SESSION_COOKIE_AGE, httponly=True, samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE, path="/",
    )


@sensitive_variables("key", "password")
def open_vault(request):
    """The password of this request's user, or None when either half is missing or wrong."""
    ciphertext = request.session.get(SESSION_FIELD)
    key = request.COOKIES.get(settings.VAULT_COOKIE_NAME)
    if not ciphertext or not key:
        return None
    try:
        password = Fernet(key.encode("ascii")).decrypt(ciphertext.encode("ascii"))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        return None
    return password.decode("utf-8")


def forget(response):
    """Remove the key cookie (on logout)."""
    response.delete_cookie(settings.VAULT_COOKIE_NAME, path="/", samesite="Lax")
