"""An attachment shows the size of its file on every server, though BODYSTRUCTURE counts
the base64 that carries it."""
import re
from email.message import EmailMessage
from email.policy import SMTP

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_45_byte_file_shows_as_45_bytes(heron, scratch, account):
    if account.kind == "demo":
        pytest.xfail("pymap counts a part's MIME header in its BODYSTRUCTURE size (215 for "
                     "62 bytes of base64): no arithmetic gets the file's size back")
    conn, folder, append = scratch
    message = EmailMessage()
    message["From"], message["To"] = "ann@x.test", account.username
    message["Subject"] = "A small file"
    message.set_content("See the file.")
    message.add_attachment(b"x" * 45, maintype="application", subtype="octet-stream",
                           filename="small.bin")
    uid = append(message.as_bytes(policy=SMTP))
    page = heron.get(f"/mail/message/{uid}/", {"mailbox": folder}).content.decode()
    assert "small.bin" in page
    assert "application/octet-stream, 45\xa0bytes" in page, re.findall(r"octet-stream, [^<]*", page)
