"""Reading zip archives from outside without believing what they say about themselves.

A zip entry's header states its size, but the bytes a decompressor produces are what
costs memory. CPython's zipfile asks the decompressor for at most the bytes requested
only for deflate; for bzip2 and LZMA one read decompresses everything it is handed, so
a 3 KB entry can produce gigabytes in a single call whatever the caller asked for. We
therefore accept only the two methods whose output zipfile bounds (stored and deflate,
what every zip tool writes by default; images gain nothing from the others), and read
every entry in small chunks, stopping as soon as more than the limit has come out
(docs/decisions/0011-bounded-untrusted-input.md).

Client imports read image entries with `entry_read`; roster workbooks (XLSX files are
zips) go through `zip_repack` before openpyxl sees them, so its whole-entry reads see
only stored entries of checked sizes.
"""

import io
import zipfile
import zlib

from django.utils.translation import gettext as _

ACCEPTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
# Each read asks zipfile for at most this much: with stored and deflate entries, no read
# produces more, whatever the entry holds.
READ_CHUNK = 1024 * 1024
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 98: "PPMd", 93: "Zstandard"}


class ArchiveError(Exception):
    """An archive or one of its entries cannot be read safely; `code` says which way."""

    code = "unreadable_archive"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnsupportedCompression(ArchiveError):
    code = "unsupported_compression"


class EntryTooLarge(ArchiveError):
    code = "file_too_large"


class ArchiveTooLarge(ArchiveError):
    code = "archive_too_large"


class UnreadableEntry(ArchiveError):
    code = "unreadable_entry"


def method_refusal(info: zipfile.ZipInfo) -> UnsupportedCompression | None:
    """The refusal for an entry compressed in a way we do not read, or None."""
    if info.compress_type in ACCEPTED_METHODS:
        return None
    return UnsupportedCompression(
        _("Compressed with a method we do not read (%(method)s); use “deflate” or no compression.")
        % {"method": _METHOD_NAMES.get(info.compress_type, str(info.compress_type))}
    )


def entry_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    """The entry's bytes, if it produces at most `limit` of them. Raises
    UnsupportedCompression before reading a method we do not accept, EntryTooLarge as
    soon as more than `limit` bytes come out (never holding more than `limit` plus one
    chunk), UnreadableEntry for a damaged, encrypted or inconsistent entry."""
    refusal = method_refusal(info)
    if refusal is not None:
        raise refusal
    chunks: list[bytes] = []
    produced = 0
    try:
        with archive.open(info) as entry:
            while chunk := entry.read(min(READ_CHUNK, limit + 1 - produced)):
                produced += len(chunk)
                if produced > limit:
                    raise EntryTooLarge(_("The file is larger than the limit for one image."))
                chunks.append(chunk)
    # What zipfile raises for a damaged entry (BadZipFile, EOFError, OSError, zlib.error),
    # an encrypted one (RuntimeError) or a method it lacks (NotImplementedError).
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, zlib.error) as exc:
        raise UnreadableEntry(_("This archive entry cannot be read.")) from exc
    return b"".join(chunks)


def zip_repack(content: bytes, *, max_entries: int, max_total_bytes: int) -> bytes:
    """The archive again with every entry stored uncompressed, after reading each one in
    bounded chunks: for libraries (openpyxl) that read whole entries at once, which on a
    compressed entry means one unbounded decompression. Raises ArchiveError when the
    archive is not a readable zip, has more than `max_entries` entries, an entry we do
    not read, or unpacks to more than `max_total_bytes` in all."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveError(_("Not a readable zip archive.")) from exc
    if len(entries) > max_entries:
        raise ArchiveTooLarge(_("The archive has more than %(n)d files.") % {"n": max_entries})
    out = io.BytesIO()
    left = max_total_bytes
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as repacked:
        for info in entries:
            try:
                data = entry_read(archive, info, limit=left)
            except EntryTooLarge:
                raise ArchiveTooLarge(_("The archive unpacks to more than the allowed size.")) from None
            left -= len(data)
            repacked.writestr(info.filename, data)
    return out.getvalue()
