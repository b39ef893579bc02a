#!/bin/sh
# Attachment text for Dovecot's full-text index (fts_decoder; see docs/deploy.md,
# "Full-text search"). Dovecot runs this through its `script` service: with no argument
# it asks which content types (and file name extensions) this decoder takes, a blank line
# ending the list; with a content type it sends the attachment's decoded body on stdin and
# indexes what comes out.
#
# Only tables are taken: their cells become words. fts-xapian (1.5.5) indexes every piece
# of 3 to 20 characters of every word, and a CSV line has no spaces, so each line is one
# long "word": on the bench machine ten messages with a CSV of a few hundred lines took
# 195 s to index, and 0.8 s with their cells split. Every other type is left to Dovecot:
# text as it is, HTML through its own parser, anything else not indexed.
case "$1" in
    "")
        printf 'text/csv csv\ntext/tab-separated-values tsv\n\n'
        ;;
    text/csv | text/tab-separated-values)
        exec tr ',;|\t"' '     '
        ;;
    *)
        exec cat >/dev/null
        ;;
esac
