"""contacts/vcards.py: vCard text ⇄ the fields Heron shows, losing nothing else."""
import datetime
from pathlib import Path

import pytest

from contacts import vcards

DATA = Path(__file__).resolve().parents[1] / "data" / "vcards"


def read(name):
    return (DATA / name).read_text(encoding="utf-8")


def cards_of(text):
    found = []
    for line, item in vcards.split_cards(text):
        assert not isinstance(item, vcards.CardSyntaxError), item
        found.append(vcards.parse_one(item, line))
    return found


def test_an_apple_card_gives_its_fields_and_labels():
    card, = cards_of(read("apple-3.0.vcf"))
    data = vcards.data_from_component(card)
    assert data.full_name == "Dr. Johnny Q. Appleseed"
    assert (data.given_name, data.family_name) == ("Johnny", "Appleseed")
    assert data.organisation == "Apple Orchard Ltd, Cider"
    assert data.emails == [("johnny@orchard.example", "Work"),
                           ("jq@home.example", "Summer house")]
    assert data.phones == [("+1 (555) 010-0100", "cell")]
    assert data.birthday == datetime.date(1976, 4, 1)
    assert data.notes == "Met at the orchard, 2019.\nLikes cider."
    assert data.photo.startswith(b"\xff\xd8") and data.photo_type == "image/jpeg"
    assert data.uid == "8D2E7A1C-5B3F-4C1E-9A77-APPLE0000001"


def test_google_cards_with_two_addresses_and_a_compact_birthday():
    grace, alan = (vcards.data_from_component(c) for c in cards_of(read("google-3.0.vcf")))
    assert grace.emails == [("grace@navy.example", "home"), ("g.hopper@cobol.example", "work")]
    assert grace.birthday == datetime.date(1906, 12, 9)
    assert alan.full_name == "Alan Turing" and alan.uid == ""


def test_a_thunderbird_4_0_card_keeps_its_data_uri_photo_whole():
    ada, juergen = cards_of(read("thunderbird-4.0.vcf"))
    data = vcards.data_from_component(ada)
    assert data.photo.startswith(b"\x89PNG") and data.photo_type == "image/png"
    assert data.notes == "First programmer; wrote notes, many."
    assert data.emails[0] == ("ada@engine.example", "")
    assert data.birthday == datetime.date(1815, 12, 10)
    other = vcards.data_from_component(juergen)
    assert other.full_name == "Müller, Jürgen" and other.birthday is None  # --0415: no year
    assert "data:image/png;base64,iVBORw0KGgo" in vcards.serialize(ada)


@pytest.mark.parametrize("name", ["apple-3.0.vcf", "google-3.0.vcf", "thunderbird-4.0.vcf"])
def test_a_card_not_edited_is_written_back_with_every_line(name):
    for card in cards_of(read(name)):
        original = {line.strip() for line in vcards.serialize(card).splitlines()}
        data = vcards.data_from_component(card)
        again = vcards.serialize(vcards.update_component(card, data))
        assert {line.strip() for line in again.splitlines()} == original


def test_an_edit_rewrites_only_what_changed():
    card, = cards_of(read("apple-3.0.vcf"))
    data = vcards.data_from_component(card)
    data.notes = "New note; with, punctuation"
    data.emails = [data.emails[0], ("new@orchard.example", "home")]
    text = vcards.serialize(vcards.update_component(card, data))
    assert "X-SOCIALPROFILE;TYPE=mastodon:https://orchard.example/@johnny" in text
    assert "item3.ADR;TYPE=HOME,pref:;;1 Infinite Loop;Cupertino;CA;95014;USA" in text
    assert "item1.EMAIL;TYPE=INTERNET,pref:Johnny@Orchard.example" in text
    assert "jq@home.example" not in text and "Summer house" not in text  # its label too
    assert "EMAIL;TYPE=home:new@orchard.example" in text
    assert "NOTE:New note\\; with\\, punctuation" in text
    again = vcards.data_from_component(vcards.parse_one(text))
    assert again.notes == data.notes and again.emails == data.emails


def test_conversion_between_3_0_and_4_0_keeps_the_fields():
    for name in ("apple-3.0.vcf", "thunderbird-4.0.vcf"):
        for card in cards_of(read(name)):
            before = vcards.data_from_component(card)
            for version in ("4.0", "3.0"):
                converted = vcards.convert(card, version)
                assert vcards.version_of(converted) == version
                after = vcards.data_from_component(vcards.parse_one(vcards.serialize(converted)))
                assert (after.full_name, after.emails, after.photo, after.birthday) == (
                    before.full_name, [(e, t) for e, t in before.emails], before.photo,
                    before.birthday)


def test_a_4_0_photo_becomes_a_3_0_base64_photo():
    ada = cards_of(read("thunderbird-4.0.vcf"))[0]
    text = vcards.serialize(vcards.convert(ada, "3.0"))
    assert "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo" in text
    assert "EMAIL;TYPE=pref:ada@engine.example" in text


@pytest.mark.parametrize("text, line, words", [
    ("BEGIN:VCARD\nVERSION:3.0\nFN:A\n", 1, "not closed"),
    ("x\nBEGIN:VCARD\nVERSION:3.0\nFN:A\nBEGIN:VCARD\nVERSION:3.0\nFN:B\nEND:VCARD\n", 2,
     "not closed"),
])
def test_a_card_never_closed_is_reported_at_its_line(text, line, words):
    problems = [item for _, item in vcards.split_cards(text)
                if isinstance(item, vcards.CardSyntaxError)]
    assert problems[0].line == line and words in problems[0].message


def test_a_line_without_a_colon_is_reported_with_the_cards_line():
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nthis line has no colon\r\nEND:VCARD\r\n"
    with pytest.raises(vcards.CardSyntaxError) as refused:
        vcards.parse_one(text, 41)
    assert refused.value.line == 41 and refused.value.message


def test_a_card_with_ten_thousand_addresses_is_refused_by_name():
    lines = ["BEGIN:VCARD", "VERSION:3.0", "FN:Spammy"]
    lines += [f"EMAIL:a{i}@x.example" for i in range(10_000)] + ["END:VCARD"]
    (line, item), = vcards.split_cards("\r\n".join(lines))
    data = vcards.data_from_component(vcards.parse_one(item, line))
    with pytest.raises(vcards.CardSyntaxError) as refused:
        vcards.check_limits(line, data)
    assert "10000 email addresses" in refused.value.message


def test_a_card_over_two_megabytes_is_refused_without_parsing():
    text = "BEGIN:VCARD\nVERSION:3.0\nFN:Big\nNOTE:" + "x" * 2_100_000 + "\nEND:VCARD\n"
    (line, item), = vcards.split_cards(text)
    assert isinstance(item, vcards.CardSyntaxError) and line == 1


@pytest.mark.parametrize("raw, expected", [
    (b"\xef\xbb\xbfBEGIN:VCARD", "BEGIN:VCARD"),
    ("FN:Jürgen".encode("utf-16"), "FN:Jürgen"),
    ("FN:Jürgen".encode("cp1252"), "FN:Jürgen"),
    (bytes(range(256)) * 4, None),
    (b"\x00\x01\x02garbage\x00", None),
])
def test_files_are_decoded_or_refused(raw, expected):
    assert vcards.decode_file(raw) == expected


def test_a_new_card_has_version_uid_and_the_fields():
    card = vcards.new_component("u-1")
    data = vcards.CardData(uid="u-1", full_name="Bob", emails=[("bob@x.example", "work")],
                           birthday=datetime.date(2000, 2, 29))
    text = vcards.serialize(vcards.update_component(card, data))
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\n")
    assert vcards.data_from_component(vcards.parse_one(text)).emails == data.emails
    assert "BDAY:2000-02-29" in text
    assert "\r\nN:;;;;\r\n" in text  # 3.0 requires N, even empty
