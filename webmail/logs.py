"""Log records as one line each: JSON for log shippers, key=value for people.

Both Django (settings.LOGGING) and gunicorn (deploy/gunicorn.conf.py) format with
StructuredFormatter, so every line a frontend writes has the same shape. This module imports
nothing from Django: gunicorn's master loads it before any app is set up.
"""
import json
import logging
import re
from datetime import datetime, timezone

_BARE = re.compile(r'^[^\s"=\\]+$')


class StructuredFormatter(logging.Formatter):
    """One line per record: ts, level, logger, rid, msg, then the record's own fields.

    Fields come from `extra={"fields": {...}}`; the request id (rid) from RequestIdFilter.
    output is "json" (one JSON object a line) or "text" (key=value, values quoted when they
    hold spaces, quotes or line breaks, so a crafted path cannot forge a second line).
    """

    def __init__(self, output="json"):
        super().__init__()
        if output not in ("json", "text"):
            raise ValueError(f"output must be json or text, not {output!r}")
        self.output = output

    def format(self, record):
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "rid": getattr(record, "request_id", "-"),
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        if self.output == "json":
            return json.dumps(entry, default=str)
        return " ".join(f"{key}={_text_value(value)}" for key, value in entry.items())


def _text_value(value):
    if value is None:
        return "-"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return text if _BARE.match(text) else json.dumps(text)
