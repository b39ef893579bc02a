"""The stack's attachment decoder for Dovecot's full-text index (deploy/stack/fts-decode.sh):
what Dovecot asks of it and what it hands back, run as Dovecot's `script` service runs it."""
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "stack" / "fts-decode.sh"


def decode(*args, data=b""):
    return subprocess.run([str(SCRIPT), *args], input=data, capture_output=True, check=True,
                          timeout=10).stdout


def test_it_names_the_tables_it_takes_and_ends_the_list_with_a_blank_line():
    # Dovecot reads "<content-type> <extension>..." lines up to an empty one; without that
    # line it logs an error and takes none of them.
    lines = decode().decode().split("\n")
    assert lines[-2:] == ["", ""]
    taken = {line.split()[0]: line.split()[1:] for line in lines[:-2]}
    assert taken == {"text/csv": ["csv"], "text/tab-separated-values": ["tsv"]}


def test_a_table_comes_back_cell_by_cell():
    table = 'id,name;city\n4711,"Müller, Anna"\t0815|Zürich\n'.encode()
    words = decode("text/csv", data=table).decode().split()
    assert words == ["id", "name", "city", "4711", "Müller", "Anna", "0815", "Zürich"]
    assert decode("text/tab-separated-values", data=b"a\tb\n").split() == [b"a", b"b"]


def test_a_type_it_did_not_name_gives_nothing_to_index():
    # Dovecot only hands it the types it named; anything else is not made up into text.
    assert decode("application/pdf", "pdf", data=b"%PDF-1.7 binary \x00\xff") == b""
