"""What the mail core reports as it works, to whoever listens from above.

The core (imap/, mime/, smtp.py) imports nothing from the layers above it, metrics
included: they install their callbacks here instead (webmail.metrics does, from
WebmailConfig.ready()). Until one is installed the reports go nowhere. A callback must
be cheap and must not raise: it runs after every IMAP command.
"""


def _ignore(*args):
    pass


_on_command = _ignore
_on_cache_lookups = _ignore


def install(on_command=None, on_cache_lookups=None):
    """Set the listeners: on_command(name, seconds) after each IMAP command sent, and
    on_cache_lookups(use, hits, misses) after each read of the shared cache. None puts
    back the listener that ignores the reports."""
    global _on_command, _on_cache_lookups
    _on_command = on_command or _ignore
    _on_cache_lookups = on_cache_lookups or _ignore


def imap_command(name, seconds):
    """One IMAP command sent (name: the layer's operation name) and its time."""
    _on_command(name, seconds)


def cache_lookup(use, hit):
    """One read of the shared cache; use names what it was for ("folder-list")."""
    _on_cache_lookups(use, 1 if hit else 0, 0 if hit else 1)


def cache_lookups(use, hits, misses):
    """The keys of one get_many: how many were found and how many were not."""
    _on_cache_lookups(use, hits, misses)
