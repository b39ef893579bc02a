#!/usr/bin/env python3
"""Seed the local stack's Dovecot with deterministic demo mail (IMAP APPEND).

    python deploy/stack/seed.py [--host H] [--port P] user@domain:password ...

Idempotent: a user whose INBOX already holds messages is skipped, and any
other folder is only filled while it is empty. Content comes from a fixed
random seed, so every run produces the same messages. Dates are spread over
the ~6 months before the current hour (UTC); set HERON_SEED_NOW to an ISO
timestamp (e.g. 2026-11-01T12:00:00+00:00) to pin them too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import struct
import sys
import zlib
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from imapclient import IMAPClient

SEED = "heron-stack-v1"
DOMAIN = "heron.test"

# name, address, UTC offset in minutes
PEOPLE = {
    "juergen": ("Jürgen Müller", "juergen.mueller@example.de", 60),
    "yamada": ("山田 太郎", "taro.yamada@example.jp", 540),
    "ivan": ("Иван Петров", "ivan.petrov@example.ru", 180),
    "francois": ("François Lefèvre", "francois.lefevre@example.fr", 60),
    "sofia": ("Sofía Hernández", "sofia.hernandez@example.es", 60),
    "asa": ("Åsa Lindqvist", "asa.lindqvist@example.se", 60),
    "zoe": ("Zoë O'Brien", "zoe.obrien@example.ie", 0),
    "dana": ("Dana Whitfield", "dana@whitfield.example.com", -300),
    "marcus": ("Marcus Chen", "marcus.chen@example.com", -480),
    "priya": ("Priya Raman", "priya.raman@example.in", 330),
    "olu": ("Olu Adeyemi", "olu.adeyemi@example.ng", 60),
    "github": ("GitHub", "notifications@github.example", 0),
    "billing": ("CloudHost Billing", "billing@cloudhost.example", -300),
    "news": ("The Weekly Byte", "newsletter@weeklybyte.example.org", 0),
    "travel": ("SkyWays", "no-reply@skyways.example", 0),
    "alice": ("Alice Archer", f"alice@{DOMAIN}", 60),
    "bob": ("Bob Baker", f"bob@{DOMAIN}", 60),
    "carol": ("Carol Nguyen", f"carol@{DOMAIN}", 60),
}

# Subjects in other scripts/languages, with a fitting sender.
INTL_SUBJECTS = [
    ("juergen", "Grüße aus Köln"),
    ("yamada", "日本語の件名"),
    ("ivan", "Привет"),
    ("francois", "Réunion de l'équipe — jeudi à 14h"),
    ("sofia", "¿Nos vemos el sábado? 🎉"),
    ("asa", "Tack för senast!"),
    ("yamada", "お見積もりのご依頼（ヘロン案件）"),
    ("ivan", "Отчёт за квартал"),
    ("juergen", "Änderungen am Vertrag – bitte prüfen"),
    ("zoe", "Café ☕ tomorrow?"),
    ("francois", "Facture n° 2026-118 — échéance"),
    ("asa", "Smörgåsbord på fredag"),
]

SUBJECTS = [
    "Quarterly report Q{q}",
    "Lunch on {day}?",
    "Invoice #{n}",
    "Your build #{n} failed on main",
    "Meeting notes: {topic}",
    "Flight itinerary to {city}",
    "Weekly digest #{n}",
    "Question about the {topic} rollout",
    "Re-scheduling our 1:1",
    "Design review for {topic}",
    "Offsite in {city} — agenda",
    "Your receipt from CloudHost (#{n})",
    "[heron] PR #{n}: fix {topic} pagination",
    "Heads-up: maintenance window on {day}",
    "Draft contract for {city} office",
    "Photos from {city}",
    "Can you review my {topic} proposal?",
    "Reminder: expenses due {day}",
    "Welcome to the {topic} working group",
    "Follow-up on {topic}",
]

TOPICS = ["search", "attachments", "threading", "IMAP IDLE", "onboarding", "billing",
          "mobile layout", "spam filter", "calendar", "accessibility", "S3 storage", "quota"]
CITIES = ["Lisbon", "Kyoto", "Berlin", "Toronto", "Nairobi", "Oslo", "Montréal", "Lyon"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

SENTENCES = [
    "Thanks for getting back to me so quickly.",
    "I've attached the latest version for your review.",
    "Could you take a look before the end of the week?",
    "Let me know if anything is unclear.",
    "We agreed to revisit this after the release.",
    "The numbers look better than last quarter.",
    "I'm out of office on Friday, so Thursday works best.",
    "Please keep this thread internal for now.",
    "The staging environment is back up.",
    "We still need a decision on the folder layout.",
    "Happy to jump on a call if that's easier.",
    "I moved the meeting to the big conference room.",
    "Here is the summary from yesterday's discussion.",
    "The customer asked for a second demo next month.",
    "Nothing urgent — just keeping you in the loop.",
]


# ------------------------------------------------------------ attachments --

def make_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A tiny solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def make_pdf(text: str) -> bytes:
    """A one-page PDF with a line of (ASCII) text and a valid xref table."""
    safe = text.encode("ascii", "replace").decode().replace("\\", "\\\\")
    safe = safe.replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 18 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


# --------------------------------------------------------------- messages --

class Mailbox:
    """Generates one user's messages from its own deterministic RNG."""

    def __init__(self, user: str, now: dt.datetime):
        self.user = user
        self.local = user.split("@")[0]
        self.rng = random.Random(f"{SEED}:{user}")
        self.now = now
        self.used_minutes: set[int] = set()
        self.me = PEOPLE.get(self.local, (self.local.title(), user, 60))

    # helpers
    def fill(self, template: str) -> str:
        r = self.rng
        return template.format(q=r.randint(1, 4), day=r.choice(DAYS), n=r.randint(100, 9999),
                               topic=r.choice(TOPICS), city=r.choice(CITIES))

    def dates(self, count: int, max_days: int = 180) -> list[dt.datetime]:
        """`count` distinct instants (whole minutes apart), oldest first."""
        pool = [m for m in range(45, max_days * 24 * 60) if m not in self.used_minutes]
        picked = sorted(self.rng.sample(pool, count), reverse=True)
        self.used_minutes.update(picked)
        return [self.now - dt.timedelta(minutes=m, seconds=self.rng.randint(0, 59)) for m in picked]

    def msgid(self, address: str) -> str:
        token = "%016x" % self.rng.getrandbits(64)
        return f"<{token}.{self.local}@{address.split('@')[1]}>"

    def body(self, greeting_name: str, sign: str) -> str:
        paragraphs = []
        for _ in range(self.rng.randint(1, 3)):
            paragraphs.append(" ".join(self.rng.sample(SENTENCES, self.rng.randint(2, 4))))
        first = greeting_name.split()[0]
        return f"Hi {first},\n\n" + "\n\n".join(paragraphs) + f"\n\nBest,\n{sign}\n"

    def build(self, *, sender: str, to: list[str], subject: str, when: dt.datetime,
              html: bool = False, attachment: str | None = None, cc: list[str] = (),
              reply_to: EmailMessage | None = None, extra: dict | None = None) -> EmailMessage:
        s_name, s_addr, s_tz = PEOPLE[sender]
        when = when.astimezone(dt.timezone(dt.timedelta(minutes=s_tz)))
        msg = EmailMessage(policy=policy.default)
        msg["From"] = formataddr((s_name, s_addr))
        msg["To"] = ", ".join(formataddr(PEOPLE[p][:2]) for p in to)
        if cc:
            msg["Cc"] = ", ".join(formataddr(PEOPLE[p][:2]) for p in cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = self.msgid(s_addr)
        if reply_to is not None:
            parent_id = reply_to["Message-ID"]
            refs = (reply_to.get("References", "") + " " + parent_id).strip()
            msg["In-Reply-To"] = parent_id
            msg["References"] = refs
        for key, value in (extra or {}).items():
            msg[key] = value
        text = self.body(PEOPLE[to[0]][0], s_name)
        if reply_to is not None:
            quoted = "\n".join("> " + line for line in
                               (reply_to.get_body(("plain",)).get_content().splitlines()))
            text += f"\nOn {reply_to['Date']}, {reply_to['From']} wrote:\n{quoted}\n"
        msg.set_content(text)
        if html:
            paras = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
            msg.add_alternative(
                "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">"
                f"<h2 style=\"color:#2a6f97\">{subject}</h2>{paras}"
                "<p><a href=\"https://heron.test/\">Open in Heron</a> · "
                "<img src=\"https://tracker.example/pixel.gif\" width=\"1\" height=\"1\" alt=\"\"></p>"
                "</body></html>", subtype="html")
        if attachment == "pdf":
            name = self.rng.choice(["report", "invoice", "agenda", "contract", "minutes"])
            msg.add_attachment(make_pdf(f"{subject} - {name}"), maintype="application",
                               subtype="pdf", filename=f"{name}-{self.rng.randint(1, 99):02d}.pdf")
        elif attachment == "png":
            colour = tuple(self.rng.randint(0, 255) for _ in range(3))
            msg.add_attachment(make_png(16, 16, colour), maintype="image", subtype="png",
                               filename=self.rng.choice(["photo.png", "screenshot.png",
                                                         "diagram.png", "Übersicht.png"]))
        return msg

    # generators
    def inbox(self, count: int) -> list[tuple[EmailMessage, dt.datetime, list[bytes]]]:
        r = self.rng
        others = [p for p in PEOPLE if p != self.local]
        out: list[tuple[EmailMessage, dt.datetime, list[bytes]]] = []
        dates = self.dates(count)
        intl = iter(INTL_SUBJECTS)
        for i, when in enumerate(dates):
            reply_to = None
            if i % 10 == 3 and (pair := next(intl, None)):
                sender, subject = pair
            elif out and r.random() < 0.15:
                reply_to = r.choice(out[-15:])[0]
                sender = r.choice([p for p in others if PEOPLE[p][1] != reply_to["From"].addresses[0].addr_spec])
                base = str(reply_to["Subject"])
                subject = base if base.lower().startswith("re:") else "Re: " + base
            else:
                sender = r.choice(others)
                subject = self.fill(r.choice(SUBJECTS))
            extra = {}
            if sender == "news":
                extra = {"List-Id": "The Weekly Byte <weekly.weeklybyte.example.org>",
                         "List-Unsubscribe": "<https://weeklybyte.example.org/unsubscribe>"}
            attachment = None
            if i % 8 == 5:
                attachment = "pdf" if (i // 8) % 2 else "png"
            html = sender in ("news", "billing", "travel", "github") or i % 6 == 1
            cc = r.sample([p for p in ("bob", "carol", "dana", "marcus") if p not in (self.local, sender)],
                          k=r.choice([0, 0, 0, 1, 2]))
            msg = self.build(sender=sender, to=[self.local], subject=subject, when=when, html=html,
                             attachment=attachment, cc=cc, reply_to=reply_to, extra=extra)
            # the newest ~12% stay unread; older ones are mostly read
            flags: list[bytes] = []
            if i < count * 0.88 and r.random() < 0.92:
                flags.append(b"\\Seen")
                if r.random() < 0.15:
                    flags.append(b"\\Answered")
            if r.random() < 0.1:
                flags.append(b"\\Flagged")
            out.append((msg, when, flags))
        return out

    def simple(self, count: int, senders: list[str], subjects: list[str], *, to: list[str] | None = None,
               flags: list[bytes] = (b"\\Seen",), attachment_every: int = 0,
               max_days: int = 180) -> list[tuple[EmailMessage, dt.datetime, list[bytes]]]:
        out = []
        for i, when in enumerate(self.dates(count, max_days)):
            sender = senders[i % len(senders)]
            recipients = to or [self.local]
            attachment = "pdf" if attachment_every and i % attachment_every == 0 else None
            msg = self.build(sender=sender, to=recipients, subject=subjects[i % len(subjects)],
                             when=when, attachment=attachment, html=(i % 3 == 2))
            out.append((msg, when, list(flags)))
        return out


def plan(user: str, now: dt.datetime) -> tuple[int, dict[str, list]]:
    """Return (INBOX size, {folder: messages}) for one user; INBOX comes last."""
    mb = Mailbox(user, now)
    local = mb.local
    folders: dict[str, list] = {}
    if local == "alice":
        folders["Projects"] = mb.simple(
            4, ["dana", "marcus", "bob"],
            ["Project kickoff", "Roadmap 2027 draft", "Budget sign-off", "Staffing for Q1"])
        folders["Projects/Heron"] = mb.simple(
            5, ["bob", "carol", "priya"],
            ["Heron: IMAP sync design", "Heron: attachment storage on S3",
             "Heron: read replica routing", "Heron: release checklist", "Heron: UI polish"],
            attachment_every=3)
        folders["Projects/Été 2026"] = mb.simple(
            3, ["francois", "sofia", "asa"],
            ["Planning de l'été 2026", "Location à Biarritz", "Photos de l'été"], max_days=150)
        folders["Reçus"] = mb.simple(
            4, ["billing", "travel"],
            ["Your receipt from CloudHost", "Booking confirmation SK-4471",
             "Reçu de paiement n° 2026-0412", "Your e-ticket receipt"], attachment_every=1)
        folders["Sent"] = mb.simple(
            6, ["alice"], ["Re: Lunch on Thursday?", "Agenda for Monday", "Re: Grüße aus Köln",
                           "Slides from the offsite", "Re: Heron: release checklist", "Quick question"],
            to=["bob"])
        folders["Archive"] = mb.simple(
            5, ["juergen", "marcus", "olu", "priya"],
            ["Old contract (2025)", "Conference badge", "Tax documents", "Re: Apartment viewing",
             "Team photo"], attachment_every=2, max_days=330)
        folders["Drafts"] = mb.simple(1, ["alice"], ["Unfinished thoughts on threading"],
                                      to=["carol"], flags=[b"\\Seen", b"\\Draft"])
        folders["Junk"] = mb.simple(2, ["news"], ["You WON a free cruise!!!", "Cheap watches"], flags=[])
        folders["Trash"] = mb.simple(2, ["github", "news"], ["[heron] CI passed", "Last week's digest"])
        inbox = 120
    elif local == "bob":
        folders["Sent"] = mb.simple(3, ["bob"], ["Re: Project kickoff", "Deploy notes", "Coffee?"],
                                    to=["alice"])
        inbox = 30
    else:
        inbox = 10
    folders["INBOX"] = mb.inbox(inbox)
    return inbox, folders


# ------------------------------------------------------------------- IMAP --

def seed_user(host: str, port: int, user: str, password: str, now: dt.datetime) -> str:
    with IMAPClient(host, port=port, ssl=False, timeout=30) as client:
        client.login(user, password)
        existing = client.select_folder("INBOX", readonly=True)[b"EXISTS"]
        if existing:
            return f"{user}: already seeded ({existing} in INBOX)"
        _, folders = plan(user, now)
        added = {}
        for folder, messages in folders.items():
            if folder != "INBOX":
                if not client.folder_exists(folder):
                    client.create_folder(folder)
                client.subscribe_folder(folder)
                if client.select_folder(folder, readonly=True)[b"EXISTS"]:
                    continue
            client.multiappend(folder, [
                {"msg": msg.as_bytes(policy=policy.SMTP), "flags": flags, "date": when}
                for msg, when, flags in messages
            ])
            added[folder] = len(messages)
    inbox = added.pop("INBOX", 0)
    rest = sum(added.values())
    return f"{user}: seeded {inbox} in INBOX + {rest} in {len(added)} other folders"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=51143)
    ap.add_argument("users", nargs="+", metavar="USER:PASSWORD")
    args = ap.parse_args()
    if os.environ.get("HERON_SEED_NOW"):
        now = dt.datetime.fromisoformat(os.environ["HERON_SEED_NOW"])
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
    else:
        now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    results = []
    for entry in args.users:
        user, _, password = entry.partition(":")
        line = seed_user(args.host, args.port, user, password, now)
        print(line, flush=True)
        results.append(line)
    print("; ".join(line.replace(f"@{DOMAIN}", "") for line in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
