"""The ManageSieve client against servers started here on loopback ports: one that answers
a byte at a time, one that is closed, one that never finishes TLS, and a scripted one that
answers as Dovecot or Cyrus would (errors, literals, no CHECKSCRIPT, quotas)."""
import datetime
import logging
import socket
import socketserver
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from webmail.sieve.client import SieveServer, open_sieve
from webmail.sieve.errors import SieveAuthFailed, SieveRefused, SieveTooLarge, SieveUnavailable

USER, PASSWORD = "alice@heron.test", "s3cret-Passw0rd"
GREETING = (b'"IMPLEMENTATION" "Scripted"\r\n"SASL" "PLAIN"\r\n'
            b'"SIEVE" "fileinto vacation regex"\r\n"VERSION" "1.0"\r\nOK "ready"\r\n')
# Time a server that holds on takes to say everything: far past every budget below.
SLOW_BYTE = 0.05


class Scripted(socketserver.ThreadingTCPServer):
    """A ManageSieve server that answers each command word with a canned reply, keeps what
    it was sent, and can dribble its greeting or a reply one byte at a time."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, greeting=GREETING, replies=None, slow=(), silent=False):
        super().__init__(("127.0.0.1", 0), Handler)
        self.greeting, self.replies, self.slow = greeting, replies or {}, set(slow)
        self.silent = silent
        self.received = []
        self.connections = 0
        self.stopping = threading.Event()

    @property
    def port(self):
        return self.server_address[1]


class Handler(socketserver.StreamRequestHandler):
    def send(self, data, slow):
        if not slow:
            self.wfile.write(data)
            return
        for byte in data:
            if self.server.stopping.wait(SLOW_BYTE):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def handle(self):
        server = self.server
        server.connections += 1
        if server.silent:
            server.stopping.wait(30)
            return
        self.send(server.greeting, "greeting" in server.slow)
        while not server.stopping.is_set():
            line = self.rfile.readline()
            if not line:
                return
            if line.rstrip().endswith(b"+}"):
                size = int(line.rstrip()[:-2].rsplit(b"{", 1)[1])
                line += self.rfile.read(size) + self.rfile.readline()
            server.received.append(line)
            word = line.split(b" ", 1)[0].strip().decode("ascii", "replace")
            self.send(server.replies.get(word, b"OK\r\n"), word in server.slow)
            if word == "LOGOUT":
                return


@pytest.fixture
def scripted():
    started = []

    def start(**kwargs):
        server = Scripted(**kwargs)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def at(server, security="none"):
    return SieveServer("127.0.0.1", server.port, security)


def sent(server, word):
    return [line for line in server.received if line.startswith(word.encode())]


# --- one deadline for everything -----------------------------------------------------------
def test_a_server_answering_a_byte_at_a_time_is_unavailable_within_the_budget(scripted):
    server = scripted(slow={"greeting"})
    started = time.monotonic()
    with pytest.raises(SieveUnavailable) as failed:
        open_sieve(at(server), USER, PASSWORD, seconds=1)
    assert time.monotonic() - started < 5  # the greeting alone would take 9 s
    assert "did not answer in time" in failed.value.message


def test_a_command_answered_a_byte_at_a_time_ends_within_the_sessions_budget(scripted):
    server = scripted(replies={"GETSCRIPT": b"{200}\r\n" + b"#" * 200 + b"\r\nOK\r\n"},
                      slow={"GETSCRIPT"})
    with open_sieve(at(server), USER, PASSWORD, seconds=1) as sieve:
        started = time.monotonic()
        with pytest.raises(SieveUnavailable):
            sieve.get_script("heron")
    assert time.monotonic() - started < 5


def test_a_closed_port_is_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SieveUnavailable):
        open_sieve(SieveServer("127.0.0.1", port, "none"), USER, PASSWORD, seconds=2)


def test_a_tls_handshake_that_never_ends_is_unavailable_within_the_budget(scripted):
    server = scripted(silent=True)
    started = time.monotonic()
    with pytest.raises(SieveUnavailable):
        open_sieve(at(server, "ssl"), USER, PASSWORD, seconds=1)
    assert time.monotonic() - started < 5


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_a_certificate_nobody_vouches_for_is_refused_before_the_password(scripted, tmp_path):
    context = _self_signed(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    received = []

    def serve():
        conn, _address = listener.accept()
        with conn:
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    received.append(tls.recv(100))
            except (ssl.SSLError, OSError):
                received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with pytest.raises(SieveUnavailable) as failed:
        open_sieve(SieveServer("127.0.0.1", listener.getsockname()[1], "ssl"), USER, PASSWORD,
                   seconds=3)
    thread.join(5)
    listener.close()
    assert "certificate could not be verified" in failed.value.message
    assert received == [b""]


# --- security -----------------------------------------------------------------------------
def test_required_starttls_that_is_not_offered_never_sends_the_password(scripted):
    server = scripted()
    with pytest.raises(SieveUnavailable) as failed:
        open_sieve(at(server, "starttls"), USER, PASSWORD, seconds=2)
    assert "STARTTLS" in failed.value.message
    assert server.received == []


def test_offered_starttls_is_used_and_a_failed_handshake_is_unavailable(scripted):
    server = scripted(greeting=GREETING.replace(b"OK", b'"STARTTLS"\r\nOK', 1),
                      replies={"STARTTLS": b"OK\r\nnot tls at all\r\n"})
    with pytest.raises(SieveUnavailable):
        open_sieve(at(server, "starttls-if-offered"), USER, PASSWORD, seconds=2)
    assert server.received[0] == b"STARTTLS\r\n"  # then the TLS handshake, no login
    assert not sent(server, "AUTHENTICATE")


@pytest.mark.parametrize("username, password", [
    (USER, "pw\r\nLOGOUT"), (USER + "\n", PASSWORD), (USER, "pw\x00"),
])
def test_a_line_break_or_nul_in_a_credential_never_reaches_the_wire(scripted, username,
                                                                    password):
    server = scripted()
    with pytest.raises(SieveAuthFailed):
        open_sieve(at(server), username, password, seconds=2)
    assert server.connections == 0


def test_a_refused_login_is_auth_failed_and_the_password_is_nowhere(scripted, caplog):
    server = scripted(replies={"AUTHENTICATE": b'NO "Authentication failed."\r\n'})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SieveAuthFailed) as failed:
        open_sieve(at(server), USER, PASSWORD, seconds=2)
    assert PASSWORD not in failed.value.message and PASSWORD not in caplog.text


@pytest.mark.parametrize("greeting", [
    b"\xff\xfe garbage\r\nOK\r\n",
    b'BYE "go away"\r\n',
    b'"IMPLEMENTATION" "no sieve capability"\r\n"SASL" "PLAIN"\r\nOK\r\n',
    b'"IMPLEMENTATION" "no login we know"\r\n"SASL" "GSSAPI"\r\n"SIEVE" "x"\r\nOK\r\n',
])
def test_protocol_garbage_is_unavailable(scripted, greeting):
    server = scripted(greeting=greeting)
    with pytest.raises(SieveUnavailable):
        open_sieve(at(server), USER, PASSWORD, seconds=2)


# --- commands ------------------------------------------------------------------------------
def test_a_script_is_got_and_put_byte_for_byte(scripted):
    text = "# ü\nkeep;\r\nstop;"  # mixed line breaks, no final one
    data = text.encode()
    server = scripted(replies={
        "GETSCRIPT": b"{%d}\r\n%s\r\nOK\r\n" % (len(data), data),
        "LISTSCRIPTS": b'"heron" ACTIVE\r\n"other"\r\nOK\r\n'})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        assert sieve.extensions == {"fileinto", "vacation", "regex"}
        assert sieve.implementation == "Scripted"
        assert sieve.get_script("heron") == text
        sieve.put_script("heron", text)
        assert [(i.name, i.active) for i in sieve.list_scripts()] == [
            ("heron", True), ("other", False)]
    assert sent(server, "PUTSCRIPT") == [b'PUTSCRIPT "heron" {%d+}\r\n%s\r\n' % (
        len(data), data)]
    assert sent(server, "LOGOUT")


def test_a_missing_script_is_none(scripted):
    server = scripted(replies={"GETSCRIPT": b'NO (NONEXISTENT) "There is no script."\r\n'})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        assert sieve.get_script("nothing") is None


def test_dovecots_error_names_its_line(scripted):
    said = b"line 3: error: unknown command 'foo'.\r\nerror: validation failed."
    server = scripted(replies={"CHECKSCRIPT": b"NO {%d}\r\n%s\r\n" % (len(said), said)})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        with pytest.raises(SieveRefused) as refused:
            sieve.check_script("keep;\r\n\r\nfoo;\r\n")
    assert refused.value.line == 3
    assert refused.value.message == ("The filter server refused the script: line 3: error: "
                                     "unknown command 'foo'. error: validation failed.")


def test_cyrus_error_in_a_literal_names_its_line_and_without_checkscript_a_scratch_is_used(
        scripted):
    said = b"script errors:\r\nline 7: syntax error, unexpected '}'\r\n"
    server = scripted(greeting=GREETING.replace(b'"VERSION" "1.0"\r\n', b""),
                      replies={"PUTSCRIPT": b"NO {%d}\r\n%s\r\n" % (len(said), said)})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        with pytest.raises(SieveRefused) as refused:
            sieve.check_script("}")
    assert refused.value.line == 7
    assert sent(server, "PUTSCRIPT")[0].startswith(b'PUTSCRIPT "heron-check" {1+}')
    assert not sent(server, "CHECKSCRIPT")


def test_without_checkscript_a_good_script_leaves_no_scratch_behind(scripted):
    server = scripted(greeting=GREETING.replace(b'"VERSION" "1.0"\r\n', b""))
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        sieve.check_script("keep;")
    assert sent(server, "DELETESCRIPT") == [b'DELETESCRIPT "heron-check"\r\n']


def test_over_the_quota_is_too_large(scripted):
    server = scripted(replies={"PUTSCRIPT": b'NO (QUOTA/MAXSIZE) "Script too large."\r\n'})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        with pytest.raises(SieveTooLarge):
            sieve.put_script("heron", "keep;")


def test_over_the_size_limit_is_too_large_before_sending(scripted, settings):
    settings.HERON_SIEVE_MAX_BYTES = 10
    server = scripted()
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        with pytest.raises(SieveTooLarge):
            sieve.put_script("heron", "# twelve b\r\n")
    assert not sent(server, "PUTSCRIPT")


@pytest.mark.parametrize("name", ["", "a\r\nDELETESCRIPT x", "a\x00", 'say "hi"', "a/b",
                                  "back\\slash", "x" * 129, "é" * 65, "\u2028"])
def test_a_script_name_rfc_5804_refuses_never_reaches_the_wire(scripted, name):
    server = scripted()
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        for call in (lambda: sieve.get_script(name), lambda: sieve.put_script(name, "keep;"),
                     lambda: sieve.delete_script(name)):
            with pytest.raises(SieveRefused):
                call()
    assert not [line for line in server.received
                if line.split(b" ")[0] in (b"GETSCRIPT", b"PUTSCRIPT", b"DELETESCRIPT")]


def test_deleting_the_active_script_is_refused_and_a_gone_one_is_no_error(scripted):
    server = scripted(replies={"DELETESCRIPT": b'NO (ACTIVE) "Script is active."\r\n'})
    with open_sieve(at(server), USER, PASSWORD, seconds=2) as sieve:
        with pytest.raises(SieveRefused) as refused:
            sieve.delete_script("heron")
        assert refused.value.message == "The filter server refused: Script is active."
        server.replies["DELETESCRIPT"] = b'NO (NONEXISTENT) "No such script."\r\n'
        sieve.delete_script("heron")


def test_a_dropped_connection_is_unavailable_and_close_never_raises(scripted):
    server = scripted(replies={"LISTSCRIPTS": b""})
    sieve = open_sieve(at(server), USER, PASSWORD, seconds=2)
    server.stopping.set()
    with pytest.raises(SieveUnavailable):
        sieve.list_scripts()
    sieve.close()
    sieve.close()
