"""cachejson.read: a cached value is taken only in the shape its reader expects."""
import pytest

from webmail.cachejson import read

MAILBOX = {"name": str, "unread": int, "rights": (None, str), "selectable": bool}
FOLDERS = {"epoch": str, "list": [MAILBOX]}
SORTED = ({"at": [(int, None)], "n": int, "uids": [int]}, {"at": [(int, None)], "n": int})


@pytest.mark.parametrize(("value", "shape", "taken"), [
    (3, int, True), (True, int, False), (3.0, int, False), ("3", int, False),
    (3, float, True), (2.5, float, True), (False, float, False),
    ({"r": None}, {"r": (None, str)}, True), ("x", (None, str), True), (1, (None, str), False),
    ("default", "default", True), ("other", "default", False), (0, False, False),
    (False, False, True),
    ([1, 2, 3], [int], True), ([1, True], [int], False), ([], [int], True),
    ((1, 2), [int], False), ([["a", "b"]], [[str]], True), ([["a", 1]], [[str]], False),
    ({"n": 1}, {"n": int}, True), ({"n": 1, "x": 2}, {"n": int}, False),
    ({}, {"n": int}, False), ({"n": None}, {"n": int}, False), ([{"n": 1}], {"n": int}, False),
    ({"epoch": "", "list": [{"name": "INBOX", "unread": 2, "rights": None,
                             "selectable": True}]}, FOLDERS, True),
    ({"epoch": "", "list": [{"name": "INBOX", "unread": 2, "rights": None,
                             "selectable": 1}]}, FOLDERS, False),
    ({"epoch": "", "list": [{"name": "INBOX", "unread": 2, "rights": None}]}, FOLDERS, False),
    ({"at": [5, None], "n": 2, "uids": [7, 9]}, SORTED, True),
    ({"at": [5, None], "n": 2}, SORTED, True),
    ({"at": [5, "x"], "n": 2}, SORTED, False),
    ({"at": [5], "n": 2, "uids": [7, "9"]}, SORTED, False),
])
def test_a_value_is_taken_only_in_its_shape(value, shape, taken):
    assert (read(value, shape) is not None) is taken


def test_what_the_reader_builds_is_returned_and_its_errors_are_a_miss():
    assert read({"n": 2}, {"n": int}, lambda value: value["n"] * 10) == 20
    assert read({"n": 2}, {"n": int}, lambda value: int("not a number")) is None
    assert read(None, int) is None
