"""The files of a draft: which of them a saved version in Drafts holds, and where.

A compose window's uploads (attachments/models.py Upload) are its handles on its files.
Once a saved version of the draft holds a file, that version is the file's source of
truth and its stored bytes a working copy, which purge_uploads may evict. This module
records where each file is, takes the files of a draft reopened (whoever wrote it), and
streams a file's bytes back from the draft when storage lacks them.
"""
from attachments import storage

from .imap.errors import MessageGone
from .imap.types import Part, PartRef


def known_key(user, files):
    """The compose id a draft another client wrote got when it was opened here before,
    known by its files: opened again, it finds the same uploads."""
    for ref in files:
        found = storage.uploads_saved_at(user, ref.mailbox, ref.uidvalidity, ref.uid)
        if found:
            return found[0].draft
    return None


def _file_name(part):
    return part.filename or ("message.eml" if part.content_type == "message/rfc822"
                             else storage.FALLBACK_NAME)


def take(user, key, files):
    """Make the compose id's uploads the files of the saved version `files` (PartRefs)."""
    uploads = storage.uploads_for(user, key)
    known = {(u.saved_mailbox, u.saved_uidvalidity, u.saved_uid, u.saved_section): u
             for u in uploads if u.is_saved}
    kept = set()
    for ref in files:
        found = known.get((ref.mailbox, ref.uidvalidity, ref.uid, ref.part.section))
        if found is not None:
            kept.add(found.pk)
            continue
        part = ref.part
        storage.add_saved_file(
            user, key, name=_file_name(part), content_type=part.content_type,
            size=part.file_size, content_id=part.content_id if part.related else "",
            mailbox=ref.mailbox, uidvalidity=ref.uidvalidity, uid=ref.uid,
            section=part.section, encoding=part.encoding)
    for upload in uploads:
        if upload.is_saved and upload.pk not in kept:
            storage.delete_upload(upload)


def place(upload):
    """Where the latest saved version of the draft holds the upload's file, or None."""
    if not upload.is_saved:
        return None
    return PartRef(upload.saved_mailbox, upload.saved_uidvalidity, upload.saved_uid, Part(
        section=upload.saved_section, content_type=upload.content_type,
        filename=upload.name, size=upload.size, encoding=upload.saved_encoding, charset="",
        disposition="attachment"))


def by_reference(upload):
    """True when a new version can take the file from the saved one without its bytes:
    a file the saved version holds base64-encoded, as the message builder writes files
    (an attached message is written as a message, from its bytes)."""
    return (upload.is_saved and upload.saved_encoding == "base64"
            and upload.content_type != "message/rfc822")


def bring_back(mail, user, key, uploads=None):
    """Make storage hold the bytes of the draft's uploads (or of `uploads`): those that only
    the saved draft holds (evicted, or lost from storage) are streamed back from it.

    writing._outgoing(..., draft=False) reads every file from storage: call this first.
    Raises MessageGone when the saved version that held a file is no longer in Drafts, and
    storage.StorageUnavailable."""
    for upload in storage.uploads_for(user, key) if uploads is None else uploads:
        where = place(upload)
        if where is not None and not storage.has_bytes(upload):
            storage.restore(upload, mail.iter_part_ref(where))


def saved_file(mail, upload):
    """The decoded bytes of an upload's file, chunk by chunk, from the saved draft that
    holds it (for an upload storage no longer has); raises MessageGone."""
    where = place(upload)
    if where is None:
        raise MessageGone(f"no saved draft holds {upload.pk}")
    return mail.iter_part_ref(where)
