"""Messages for integration tests, built with the email package (policy.default)."""
import struct
import zlib
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def png_bytes(width=2, height=2):
    """A valid PNG image (solid colour), made here so no binary file is checked in."""
    raw = b"".join(b"\x00" + b"\x33\x66\x99" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def message(subject="Hello", sender="Dana Whitfield <dana@whitfield.example.com>",
            to="Bob Baker <bob@heron.test>", cc=None, reply_to=None, text="Hello Bob",
            html=None, days=0, message_id=None, in_reply_to=None, references=None):
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(BASE + timedelta(days=days))
    msg["Message-ID"] = message_id or make_msgid(domain="test.heron")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def as_bytes(msg):
    return msg.as_bytes()


def with_attachments(msg, files):
    """files: (filename, maintype, subtype, bytes)."""
    for filename, maintype, subtype, data in files:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def html_with_images(remote_images=4, trackers=2):
    """An HTML mail with remote images (some of them 1x1 trackers) and a cid: image."""
    msg = message(subject="Newsletter with pictures", text="Plain version")
    tags = []
    for index in range(remote_images - trackers):
        tags.append(f'<img src="https://images.example.net/photo{index}.jpg" alt="photo {index}"'
                    ' width="300" height="200">')
    for index in range(trackers):
        tags.append(f'<img src="https://track.example.net/open/{index}.gif" width="1" '
                    'height="1" alt="">')
    html = ("<html><body><h1 style=\"color: #336699\">Our news</h1>"
            "<p>Logo: <img src=\"cid:logo@heron.test\" alt=\"logo\"></p>"
            + "".join(tags) +
            "<p><a href=\"https://example.org/read\">Read more</a></p>"
            "<script>parent.document.title='pwned'</script>"
            "<img src=x onerror=\"parent.document.title='pwned'\">"
            "</body></html>")
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    html_part.add_related(png_bytes(), maintype="image", subtype="png", cid="<logo@heron.test>")
    return msg
