"""A recording TCP proxy between Heron and an IMAP server, and a reader of what it saw.

The proxy passes bytes both ways unchanged and keeps a copy of everything the client
sent. command_lines() reads that copy as an IMAP server would: line by line, skipping
the bytes of each literal ({n} or {n+}), so a test can check every command Heron put on
the wire, not just look for a string.
"""
import re
import socket
import threading

# imaplib's tags: four capital letters and a number ("JDLK12").
IMAPLIB_TAG = re.compile(rb"^[A-Z]{4}\d+ [A-Z]")
_LITERAL = re.compile(rb"\{(\d+)\+?\}$")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/=]*$")


class RecordingProxy:
    """Listens on 127.0.0.1 and forwards every connection to (host, port)."""

    def __init__(self, host, port):
        self.upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sent = []  # one bytearray per connection, what the client sent
        self._sockets = []
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            record = bytearray()
            with self._lock:
                self._sent.append(record)
                self._sockets.extend((client, server))
            threading.Thread(target=self._pump, args=(client, server, record),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, None),
                             daemon=True).start()

    def _pump(self, source, target, record):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                if record is not None:
                    with self._lock:
                        record.extend(chunk)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def sent(self):
        """What clients sent so far, one bytes object per connection."""
        with self._lock:
            return [bytes(record) for record in self._sent]

    def stop(self):
        self._stopped.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.close()
                except OSError:
                    pass


def command_lines(stream):
    """The command lines in one connection's client stream, literals skipped.

    A line after an AUTHENTICATE command is the client's base64 answer, kept apart as
    ("answer", line); every other line is ("command", line)."""
    lines, at, after_authenticate = [], 0, False
    while at < len(stream):
        end = stream.find(b"\r\n", at)
        if end < 0:
            lines.append(("partial", stream[at:]))
            break
        line = stream[at:end]
        at = end + 2
        kind = "answer" if after_authenticate and _BASE64.match(line) else "command"
        after_authenticate = kind == "command" and b" AUTHENTICATE " in line.upper()
        lines.append((kind, line))
        while True:
            literal = _LITERAL.search(line)
            if not literal:
                break
            at += int(literal.group(1))
            end = stream.find(b"\r\n", at)
            if end < 0:
                break
            line = stream[at:end]  # the command goes on after the literal
            at = end + 2
            if line:
                lines[-1] = ("command", lines[-1][1] + b" {literal} " + line)
    return lines


def stray_lines(proxy):
    """Every line a client sent that is not a command with imaplib's tag, nor the answer
    to an AUTHENTICATE: what an injection would look like on the wire."""
    found = []
    for stream in proxy.sent():
        for kind, line in command_lines(stream):
            if kind == "answer":
                continue
            if kind == "partial" or not IMAPLIB_TAG.match(line):
                found.append(line)
    return found
