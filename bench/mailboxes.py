"""Big mailboxes for `make bench`: 1,000, 10,000 and 100,000 messages in the stack's Dovecot.

Each size has its own account (bench1k@heron.test, bench10k@…, bench100k@…, password
bench-pw), added to Dovecot's passwd-file, which `deploy/stack/up.sh` rewrites on every run:
run this after up.sh. The messages are written straight into the account's Maildir `cur/`
(Dovecot's Maildir names, `,S=` and `,W=` sizes, seen/answered/flagged flags, the file time
set to the message date, which Dovecot takes as INTERNALDATE); then `doveadm index` builds
Dovecot's index and one SORT by date and one by sender read what those need, as a
long-lived mailbox would have them. Timings are printed and kept in the marker.

The mail is made up but shaped like real mail, deterministically: three years of dates,
people with non-ASCII names, subjects in several languages, plain text with an HTML
alternative in 40 %, a small attachment in 5 %, 30 % replies in threads (In-Reply-To and
References), a few folders besides INBOX, and in bench1k a folder "Big" whose one message
carries a 100 MiB attachment. SEARCH_WORD ("invoice") is in about 7 % of messages (a
subject "Invoice for March" and the word in bodies).

Idempotent: .stack/bench/<account>.json marks a finished mailbox; a marker with the same
message count and GENERATOR version means nothing is done, anything else regenerates that
account from scratch. Usage: bench/mailboxes.py [--sizes 1000,10000,100000]
"""
import argparse
import base64
import functools
import json
import multiprocessing
import os
import pwd
import random
import shutil
import subprocess
import sys
import time
import unicodedata
import zlib
from datetime import datetime, timedelta, timezone
from email import charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path

from imapclient import IMAPClient, imap_utf7

ROOT = Path(__file__).resolve().parent.parent
DOVECOT = ROOT / ".stack" / "dovecot"
MARKERS = ROOT / ".stack" / "bench"
DOMAIN = "heron.test"
PASSWORD = "bench-pw"
SIZES = (1000, 10000, 100000)
GENERATOR = 1  # bump when the mail changes, so old mailboxes are made again
SEARCH_WORD = "invoice"
BIG_BYTES = 100 * 1024 * 1024
FOLDERS = ("Projects", "Projects/Heron", "Receipts", "Reisen 2024", "Café")
FOLDER_MESSAGES = 25
YEARS = 3
CHUNK = 2000
ZONES = [timezone(timedelta(hours=h)) for h in (0, 1, 2, -5, -8, 5.5, 9)]

FIRST = ["Anna", "José", "Zoë", "Łukasz", "Søren", "Ingrid", "Chloé", "Mehmet", "Aiko", "Priya",
         "Olumide", "François", "Jürgen", "Ελένη", "Дмитрий", "李", "María", "Noah", "Björk",
         "Ahmed", "Grace", "Tomás", "Yuki", "Camille", "Oskar", "Fatima", "Liam", "Siobhán"]
LAST = ["Müller", "García", "Ødegård", "Nowak", "Smith", "Dubois", "Yılmaz", "Tanaka",
        "Okafor", "Rossi", "Johansson", "Kowalczyk", "Ivanova", "王", "Fernández", "O'Brien",
        "Schäfer", "Nguyễn", "Andersen", "Silva", "Khan", "Lefèvre", "Papadopoulos", "Brown"]
ORGS = ["example.org", "acme.test", "firma.de.test", "universite.fr.test", "startup.io.test",
        "city.gov.test", "mail.test"]
TOPICS = ["Quarterly report", "Réunion du comité", "Überblick Projekt Heron", "Budget 2025",
          "会议纪要", "Lunch on Friday?", "Deployment checklist", "Año nuevo: planes",
          "Server migration", "Contract renewal", "Ça marche pour jeudi", "Design review",
          "Travel to São Paulo", "Release notes", "Встреча в понедельник", "Hiring update",
          "Invoice for March", "Weekly sync", "Bug in the login page", "Photos from the trip"]
WORDS = ("the project team meeting report server release plan budget review customer "
         "schedule draft update proposal contract deadline question answer office travel "
         "week month year data backup network design feature issue ticket test deploy "
         "café naïve façade Grüße über straße déjà coöperation résumé jalapeño").split()
ATTACHMENTS = [("application", "pdf", "Überweisung März.pdf"), ("text", "csv", "numbers.csv"),
               ("image", "png", "screenshot.png"), ("application", "pdf", "予算.pdf"),
               ("application", "vnd.ms-excel", "Q3 figures.xls")]

# Quoted-printable bodies, as most mail clients send UTF-8 text.
UTF8 = charset.Charset("utf-8")
UTF8.body_encoding = charset.QP


def account(size):
    """The login of the bench account holding `size` messages."""
    return f"bench{size // 1000}k@{DOMAIN}"


def maildir(size):
    return DOVECOT / "mail" / DOMAIN / account(size).split("@")[0]


def read_marker(size):
    """What the last complete generation of this size recorded, or None."""
    path = MARKERS / f"{account(size).split('@')[0]}.json"
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (found.get("messages") != size or found.get("generator") != GENERATOR
            or not (maildir(size) / "cur").is_dir()):
        return None
    return found


def bench_fts():
    """Whether the bench accounts search through the full-text index: wherever the stack
    keeps one, unless HERON_BENCH_FTS=0. Until the stack's Dovecot split attached tables
    into cells (deploy/stack/fts-decode.sh), fts-xapian 1.5.5 needed hours for the
    100,000-message account; with it, minutes (the marker records the time)."""
    return os.environ.get("HERON_BENCH_FTS", "1") != "0" and fts_loaded()


def ensure_users(sizes):
    """Add the bench accounts to Dovecot's passwd-file (which Dovecot re-reads on change),
    each with the full-text index switched off (an empty `fts` setting of its own) when not
    bench_fts()."""
    users = DOVECOT / "users"
    lines = users.read_text().splitlines()
    extra = "" if bench_fts() else "userdb_fts="
    wanted = {account(size): f"{account(size)}:{{PLAIN}}{PASSWORD}::::::{extra}"
              for size in sizes}
    kept = [line for line in lines if line.split(":", 1)[0] not in wanted]
    if sorted(lines) == sorted(kept + list(wanted.values())):
        return
    stat = users.stat()
    temporary = users.with_suffix(".bench-tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write("\n".join(kept + list(wanted.values())) + "\n")
    os.chown(temporary, stat.st_uid, stat.st_gid)
    os.chmod(temporary, stat.st_mode & 0o777)
    temporary.replace(users)


# --- the messages -------------------------------------------------------------------------
def _person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
    local = local.decode().lower().replace("'", "")
    local = local.strip(".") or "someone"
    return first + " " + last, f"{local}{rng.randrange(90)}@{rng.choice(ORGS)}"


def _sentence(rng, mention):
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    if mention:
        words.insert(rng.randrange(len(words)), SEARCH_WORD)
    return " ".join(words).capitalize() + "."


def _head(seed, i):
    """(rng, parent index or None, subject) of message i: the thread links come first."""
    rng = random.Random(seed * 1_000_003 + i)
    parent = None
    if i and rng.random() < 0.3:
        parent = max(0, i - 1 - int(rng.expovariate(1 / 40)))
    subject = f"{rng.choice(TOPICS)} #{rng.randrange(1000)}"
    return rng, parent, subject


def _thread(size, i):
    """(root, parent) of message i, following parents to the first message of its thread."""
    _, parent, _ = _head(size, i)
    root = i
    while parent is not None:
        root = parent
        _, parent, _ = _head(size, root)
    return root, _head(size, i)[1]


def _seed(size, folder):
    return size + zlib.crc32(folder.encode())


def message_id(size, i, folder=""):
    return f"<bench{size}.{zlib.crc32(folder.encode()):x}.{i}@{DOMAIN}>"


def build(size, i, count, end, folder=""):
    """(time, bytes, maildir flags) of message i of count in a folder of bench account size."""
    rng, _, subject = _head(_seed(size, folder), i)
    root, parent = (i, None) if folder else _thread(size, i)
    newest = i == count - 1
    when = end - YEARS * 365 * 86400 * (1 - (i + rng.random()) / count)
    name, address = _person(rng)
    mention = rng.random() < 0.02
    paragraphs = ["\n".join(_sentence(rng, mention and n == 0) for _ in range(rng.randint(1, 4)))
                  for n in range(rng.randint(1, 4))]
    if parent is not None:
        subject = "Re: " + _head(size, root)[2]
        paragraphs.append("\n".join("> " + line for line in paragraphs[0].splitlines()))
    text = "Hello,\n\n" + "\n\n".join(paragraphs) + f"\n\n-- \n{name}\n"
    body = MIMEText(text, "plain", UTF8)
    if rng.random() < 0.4:
        html = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
        html = (f'<html><body><div style="font-family:sans-serif">{html}'
                f'<p><a href="https://{rng.choice(ORGS)}/news">Read more</a></p>'
                f'<img src="https://track.{rng.choice(ORGS)}/p.gif?u={i}" width="1" height="1">'
                f"</div></body></html>")
        alternative = MIMEMultipart("alternative")
        alternative.attach(body)
        alternative.attach(MIMEText(html, "html", UTF8))
        body = alternative
    if newest or rng.random() < 0.05:
        maintype, subtype, filename = rng.choice(ATTACHMENTS[:3] if newest else ATTACHMENTS)
        payload = rng.randbytes(rng.randint(5_000, 60_000))
        if maintype == "text":
            part = MIMEText("\n".join(",".join(str(rng.randrange(10_000)) for _ in range(8))
                                      for _ in range(rng.randint(100, 1500))), subtype, "utf-8")
        elif maintype == "image":
            part = MIMEImage(b"\x89PNG\r\n\x1a\n" + payload, subtype)
        else:
            part = MIMEApplication(payload, subtype)
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
        mixed = MIMEMultipart("mixed")
        mixed.attach(body)
        mixed.attach(part)
        body = mixed
    body["From"] = formataddr((name, address), charset="utf-8")
    body["To"] = account(size)
    body["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    body["Date"] = format_datetime(datetime.fromtimestamp(when, rng.choice(ZONES)))
    body["Message-ID"] = message_id(size, i, folder)
    if parent is not None:
        body["In-Reply-To"] = message_id(size, parent)
        body["References"] = " ".join(dict.fromkeys([message_id(size, root),
                                                     message_id(size, parent)]))
    unread_chance = 0.6 if i >= count - 30 else 0.08
    seen = newest or rng.random() >= unread_chance
    flags = ("F" if rng.random() < 0.03 else "") + ("R" if seen and rng.random() < 0.1 else "")
    return when, body.as_bytes(), flags + ("S" if seen else "")


# --- Maildir --------------------------------------------------------------------------------
@functools.cache
def _mail_ids():
    entry = pwd.getpwnam("mail")
    return entry.pw_uid, entry.pw_gid


def make_folder(path):
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    uid, gid = _mail_ids()
    for sub in (path, path / "cur", path / "new", path / "tmp"):
        os.chown(sub, uid, gid)
        os.chmod(sub, 0o700)  # Dovecot gives the files it makes its folder's permissions


def deliver(folder, when, unique, data, flags):
    """Put one message into folder/cur under a Maildir name Dovecot reads its sizes from."""
    vsize = len(data) + data.count(b"\n")  # as served over IMAP, with CRLF line ends
    path = folder / "cur" / f"{int(when)}.B{unique}.heron-bench,S={len(data)},W={vsize}:2,{flags}"
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(data)
    os.chown(path, *_mail_ids())
    os.utime(path, (when, when))


def folder_dir(size, folder):
    """Where a folder lives: with LAYOUT=fs, INBOX is the root and others are subfolders."""
    return maildir(size) / imap_utf7.encode(folder).decode() if folder else maildir(size)


def _write_chunk(job):
    size, start, stop, count, end, folder = job
    target = folder_dir(size, folder)
    for i in range(start, stop):
        when, data, flags = build(size, i, count, end, folder)
        deliver(target, when, f"{zlib.crc32(folder.encode()):x}x{i}", data, flags)
    return stop - start


def _big_pieces(rng, head):
    yield head
    left = BIG_BYTES
    while left:
        block = min(left, 57 * 18396)  # whole 76-character base64 lines
        yield base64.encodebytes(rng.randbytes(block))
        left -= block
    yield b"\n--heron-bench-big--\n"


def write_big(size, end):
    """The one message with a BIG_BYTES attachment, written in pieces (it is ~135 MB)."""
    folder = folder_dir(size, "Big")
    make_folder(folder)
    when = end - 86400
    head = (f"From: {formataddr(('Søren Ødegård', 'soren@example.org'), charset='utf-8')}\n"
            f"To: {account(size)}\nSubject: The full data set (100 MiB)\n"
            f"Date: {format_datetime(datetime.fromtimestamp(when, timezone.utc))}\n"
            f"Message-ID: {message_id(size, 0, 'Big')}\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="heron-bench-big"\n\n'
            "--heron-bench-big\nContent-Type: text/plain; charset=utf-8\n\n"
            "Here is the whole data set.\n\n--heron-bench-big\n"
            "Content-Type: application/octet-stream\n"
            'Content-Disposition: attachment; filename="dataset.bin"\n'
            "Content-Transfer-Encoding: base64\n\n").encode()
    path = folder / "tmp" / "big"
    written = lines = 0
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        for piece in _big_pieces(random.Random(size), head):
            out.write(piece)
            written += len(piece)
            lines += piece.count(b"\n")
    uid, gid = _mail_ids()
    os.chown(path, uid, gid)
    os.utime(path, (when, when))
    name = f"{int(when)}.Bbig.heron-bench,S={written},W={written + lines}:2,S"
    path.rename(folder / "cur" / name)


# --- generation, indexing, priming ---------------------------------------------------------
def _doveadm(*args):
    return subprocess.run(["doveadm", "-c", str(DOVECOT / "dovecot.conf"), *args],
                          check=True, capture_output=True, text=True, timeout=1800)


def _timed(what, *args):
    started = time.monotonic()
    what(*args)
    return round(time.monotonic() - started, 2)


def prime(size, host, port):
    """Dovecot's first SELECT and SORTs of the new INBOX, timed (they read every message)."""
    with IMAPClient(host, port=port, ssl=False, timeout=600) as client:
        client.login(account(size), PASSWORD)
        return {
            "select_s": _timed(client.select_folder, "INBOX", True),
            "sort_date_s": _timed(client.sort, ["REVERSE", "DATE"], ["ALL"], "UTF-8"),
            "sort_from_s": _timed(client.sort, ["FROM"], ["ALL"], "UTF-8"),
        }


def fts_loaded():
    """Whether the stack's Dovecot keeps a full-text index (deploy/stack/up.sh)."""
    conf = (DOVECOT / "dovecot.conf").read_text()
    return any(line.startswith("mail_plugins") and "fts" in line.split()
               for line in conf.splitlines())


def index_text(size, found):
    """Build the account's full-text index where the stack keeps one and the marker says
    it is not built yet (a mailbox made before the index was switched on), timed: a
    search must not pay for it. The marker records the time."""
    if not bench_fts() or found.get("fts_index_s") is not None:
        return found
    label = account(size).split("@")[0]
    print(f"{label}: building the full-text index…", flush=True)
    found = {**found, "fts_index_s": _timed(_doveadm, "index", "-u", account(size), "*")}
    (MARKERS / f"{label}.json").write_text(json.dumps(found, indent=2) + "\n")
    print(f"{label}: full-text index built in {found['fts_index_s']} s", flush=True)
    return found


def generate(size, host, port, workers):
    """Make the bench account of `size` messages unless its marker says it is there."""
    label = account(size).split("@")[0]
    found = read_marker(size)
    if found:
        print(f"{label}: {size} messages already there (made {found['generated_at']}), skipped",
              flush=True)
        return index_text(size, found)
    marker = MARKERS / f"{label}.json"
    marker.unlink(missing_ok=True)
    shutil.rmtree(maildir(size), ignore_errors=True)
    shutil.rmtree(DOVECOT / "home" / DOMAIN / label, ignore_errors=True)
    folders = FOLDERS + (("Big",) if size == min(SIZES) else ())
    domain = maildir(size).parent
    if not domain.is_dir():  # a fresh stack where no one of this domain has logged in yet
        domain.mkdir(parents=True)
        os.chown(domain, *_mail_ids())
        os.chmod(domain, 0o700)
    for folder in ("",) + folders:
        make_folder(folder_dir(size, folder))
    (maildir(size) / "subscriptions").write_text(
        "V\t2\n\n" + "".join(imap_utf7.encode(f).decode().replace("/", "\t") + "\n"
                               for f in ("INBOX",) + folders))
    os.chown(maildir(size) / "subscriptions", *_mail_ids())
    os.chmod(maildir(size) / "subscriptions", 0o600)

    started, end = time.monotonic(), time.time()
    jobs = [(size, first, min(first + CHUNK, size), size, end, "")
            for first in range(0, size, CHUNK)]
    jobs += [(size, 0, FOLDER_MESSAGES, FOLDER_MESSAGES, end, f) for f in FOLDERS]
    total = sum(job[2] - job[1] for job in jobs)
    done, shown = 0, 0
    with multiprocessing.Pool(workers) as pool:
        for count in pool.imap_unordered(_write_chunk, jobs):
            done += count
            if done * 10 // total > shown:
                shown = done * 10 // total
                print(f"generating {label}: {shown * 10}% ({done} messages, "
                      f"{time.monotonic() - started:.0f} s)", flush=True)
    if "Big" in folders:
        write_big(size, end)
    generated = round(time.monotonic() - started, 1)
    print(f"{label}: wrote {total} messages in {generated} s; Dovecot indexing…", flush=True)
    indexed = _timed(_doveadm, "index", "-u", account(size), "*")
    primed = prime(size, host, port)
    on_disk = sum(f.stat().st_size for f in maildir(size).rglob("*") if f.is_file())
    found = {"account": account(size), "messages": size, "generator": GENERATOR,
             "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "generate_s": generated, "index_s": indexed, "prime": primed,
             # doveadm index builds the full-text index too, where there is one
             "fts_index_s": indexed if bench_fts() else None,
             "disk_mb": round(on_disk / 1e6)}
    MARKERS.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(found, indent=2) + "\n")
    print(f"{label}: doveadm index {indexed} s; first SELECT {primed['select_s']} s, "
          f"SORT by date {primed['sort_date_s']} s, by sender {primed['sort_from_s']} s; "
          f"{found['disk_mb']} MB on disk", flush=True)
    return found


def sizes_from(text):
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    unknown = set(sizes) - set(SIZES)
    if unknown:
        raise SystemExit(f"unknown bench sizes {sorted(unknown)}; choose from {SIZES}")
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES")
                        or ",".join(map(str, SIZES)))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("mailboxes.py: run as root (the mail belongs to the 'mail' user)")
    if not (DOVECOT / "users").is_file():
        sys.exit("mailboxes.py: no stack Dovecot; run `bash deploy/stack/up.sh` first")
    sizes = sizes_from(args.sizes)
    ensure_users(sizes)
    host = os.environ.get("IMAP_HOST", "127.0.0.1")
    port = int(os.environ.get("IMAP_PORT", "51143"))
    for size in sizes:
        generate(size, host, port, os.cpu_count() or 1)


if __name__ == "__main__":
    main()
