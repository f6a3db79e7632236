"""Text from outside that we store: what PostgreSQL and UTF-8 cannot hold, and names.

PostgreSQL refuses NUL (U+0000) in text and in jsonb, and a lone surrogate (U+D800 to
U+DFFF: half of a pair, which JSON's `\\ud800` escape can produce) cannot be encoded as
UTF-8 at all, so either would fail later, at the database or when the stored value is
sent back, as a 500. `unstorable` finds them; the JSON parsers (aidou.parsers) and the
form parsers refuse input holding them, before anything is stored.

`clean_file_name` is the one cleaning of a name someone gave a file (an upload, a zip
entry, a roster): no directories, no control or bidirectional-formatting characters
(U+202E would show `gpj.exe` as `exe.jpg`), at most 255 characters.
"""

import posixpath
import re
import unicodedata

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Unicode categories dropped from names: controls (Cc), format characters (Cf: the bidi
# embeddings, overrides and isolates, zero-width characters, the BOM), surrogates (Cs),
# private use (Co), line and paragraph separators (Zl, Zp).
_DROPPED_FROM_NAMES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
MAX_NAME_LENGTH = 255


def unstorable(text: str) -> bool:
    """True when the text holds a NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def json_unstorable(data) -> bool:
    """True when any string (key or value) in a parsed JSON document is `unstorable`.
    Walks the document without recursion (it may be as deep as the parser allowed)."""
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            if _UNSTORABLE.search(value):
                return True
        elif kind is dict:
            for key, item in value.items():
                if type(key) is str and _UNSTORABLE.search(key):
                    return True
                stack.append(item)
        elif kind is list:
            stack.extend(value)
    return False


def clean_name_part(name: str) -> str:
    """One name with the characters of `_DROPPED_FROM_NAMES` removed, spaces at its ends
    stripped (NFC-normalised, so one name has one spelling)."""
    name = unicodedata.normalize("NFC", name)
    if not name.isprintable():  # printable text has none of them: the common case, at C speed
        name = "".join(char for char in name if unicodedata.category(char) not in _DROPPED_FROM_NAMES)
    return name.strip()


def clean_file_name(name: str | None, *, keep_folders: bool = False) -> str:
    """A name someone gave a file, fit to store and show: `\\` read as `/`; without
    folders (or, with `keep_folders`, each folder cleaned and empty, `.` and `..` parts
    dropped); every part cleaned by `clean_name_part`; at most 255 characters; `unnamed`
    when nothing is left."""
    parts = (name or "").replace("\\", "/").split("/")
    if not keep_folders:
        parts = [posixpath.basename((name or "").replace("\\", "/"))]
    cleaned = [part for part in (clean_name_part(part) for part in parts) if part not in ("", ".", "..")]
    return "/".join(cleaned)[:MAX_NAME_LENGTH] or "unnamed"
