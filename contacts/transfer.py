"""Import of vCard files and export as vCard (3.0 or 4.0) or CSV.

An import saves each card on its own: a broken card is reported by the line it starts on
and skipped, every other card is saved, and nothing already in the book is lost. A card
whose UID the book already holds is updated, not duplicated; a card without a UID gets
one derived from its text, so importing the same file twice does not duplicate it either.
"""
import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import cards, davgroups, vcards
from .models import Card, Group

MAX_IMPORT = 10 * 1024 * 1024  # bytes of one uploaded file
MAX_REPORTED = 50  # problems listed on the page; the rest are counted
MAX_CARDS = 5_000  # cards of one file; the rest are reported, for a second file
CSV_COLUMNS = [_("Full name"), _("Given name"), _("Family name"), _("Organisation"),
               _("Email addresses"), _("Phone numbers"), _("Birthday"), _("Notes")]


class ImportRefused(ValueError):
    """The whole file is refused (too large, not text, no card in it)."""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    problems: list = field(default_factory=list)  # (line, message)
    more_problems: int = 0

    def problem(self, line, message):
        if len(self.problems) < MAX_REPORTED:
            self.problems.append((line, message))
        else:
            self.more_problems += 1


def read_upload(upload):
    """The text of an uploaded file, refused whole when larger than MAX_IMPORT (checked
    from its size before a byte is read) or not text."""
    if upload.size is not None and upload.size > MAX_IMPORT:
        raise ImportRefused(gettext("The file is larger than 10 MB. Split it into smaller "
                                    "files and import each."))
    raw = upload.read(MAX_IMPORT + 1)
    if len(raw) > MAX_IMPORT:
        raise ImportRefused(gettext("The file is larger than 10 MB. Split it into smaller "
                                    "files and import each."))
    text = vcards.decode_file(raw)
    if text is None:
        raise ImportRefused(gettext("This file is not a vCard file (it is not text)."))
    return text


def _uid_for(component, text):
    data = vcards.data_from_component(component)
    if data.uid:
        return data
    data.uid = "heron-" + hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]
    vcards.replace_property(component, "UID", vcards.escape(data.uid))
    return data


def import_text(book, text):
    """Import every card of text into book; returns an ImportResult."""
    result, group_cards, seen_any = ImportResult(), [], False
    for count, (line, item) in enumerate(vcards.split_cards(text)):
        seen_any = True
        if count == MAX_CARDS:
            result.problem(line, gettext(
                "this card and the ones after it were not imported: at most %(max)d cards "
                "are imported from one file. Import the rest as a second file.")
                % {"max": MAX_CARDS})
            break
        if isinstance(item, vcards.CardSyntaxError):
            result.problem(line, item.message)
            continue
        try:
            component = vcards.parse_one(item, line)
            data = _uid_for(component, item)
            vcards.check_limits(line, data)
        except vcards.CardSyntaxError as error:
            result.problem(line, error.message)
            continue
        if data.kind == "group":
            group_cards.append((data, component))
            continue
        _save_one(book, data, component, line, result)
    for data, component in group_cards:
        _save_group(book, data, component)
        result.created += 1
    if not seen_any:
        raise ImportRefused(gettext("No vCard was found in this file."))
    return result


def _save_one(book, data, component, line, result):
    existing = Card.objects.filter(book=book, uid=data.uid).first()
    try:
        with transaction.atomic():
            cards.save(book, data, existing, component=component)
    except (IntegrityError, ValueError) as error:
        result.problem(line, gettext("could not be saved (%(reason)s)")
                       % {"reason": type(error).__name__})
        return
    if existing is None:
        result.created += 1
    else:
        result.updated += 1


def _save_group(book, data, component):
    group = Group.objects.filter(book=book, uid=data.uid).first()
    if group is None:
        group = Group(book=book, uid=data.uid)
    group.name = (data.full_name or data.uid)[:200]
    group.vcard = vcards.serialize(component)
    group.deleted = False
    group.save()
    uids = [m.removeprefix("urn:uuid:") for m in data.members]
    uids += [f"urn:uuid:{u}" for u in uids]
    group.members.add(*Card.objects.filter(book=book, uid__in=uids[:10_000]))


def export_vcards(card_rows, version, group_rows=()):
    """Yield the vCard text of each card (a Card queryset or list), then of each group
    (KIND:group with MEMBER lines in 4.0, Apple's X-ADDRESSBOOKSERVER-KIND/-MEMBER in
    3.0, which import_text reads back), as `version`."""
    for card in card_rows:
        yield vcards.serialize(vcards.convert(cards.component_of(card), version))
    for group in group_rows:
        yield davgroups.text_as(group, version)


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (or a tab or
    carriage return, which some strip first) would be taken as a formula."""
    value = str(value or "")
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(card_rows):
    """Yield the CSV text of the cards, a header line first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(name) for name in CSV_COLUMNS])
    for card in card_rows:
        writer.writerow([safe_cell(value) for value in (
            card.full_name, card.given_name, card.family_name, card.organisation,
            "; ".join(e.email for e in card.emails.all()),
            "; ".join(p.number for p in card.phones.all()),
            card.birthday.isoformat() if card.birthday else "", card.notes)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
