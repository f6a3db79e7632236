"""The Chinese catalogue says different things differently.

Chinese has no plural and no capitals, so "batch", "Batches" and "batches" rightly share
one translation; two messages of different meaning must not ("New webhook" and
"Add webhook" both read "Webhook 回调" once, and an empty deliveries table said "还没有中心。").
Messages are compared after folding case, plurals, articles and end punctuation; groups
that still differ and share a translation must be listed in SAME_MEANING below, each
one a reviewed decision that the words really mean the same thing in that place.
"""

import re
from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Each set: messages (folded) that mean the same thing wherever they are shown.
SAME_MEANING = [
    {"reason", "why"},
    {"time", "when"},
    {"succeeded", "done"},
    {"status", "state"},
    {"created at", "created on"},
    {"name of the key", "key name"},
    {"project", "item"},  # a payslip's line item (项目) beside the client's project
    {"name", "title"},
    {"reason for rework", "reason to send back"},
    {"image", "item"},  # an item is one image of a client's dataset
    {"rejected", "declined"},
    {"export"},
    {"open", "in progress"},
    {"review"},
    {"comment", "reference", "note"},  # the bank file's memo column; a note on a record
    {
        "this import cannot run again; send the file again instead",
        "this import cannot run again; upload the file again instead",
    },
    {"back to the home page", "back home"},
    {"answer"},
    {"box"},
    {"polygon"},
    {"admin", "administration"},
    {"management", "manage"},
    {"employment type", "employment"},
    {"pay", "pay term"},
    {"payroll run", "payroll"},
    {"standard version", "rule version"},
    {"revision", "version"},
    {"start", "open"},
    {"course session", "session"},
    {"nominate", "nominated"},
    {"care", "childcare"},
    {"delete", "remove"},
    {"people", "person"},
    {"added", "created"},
    {"set a password", "set password"},
    {"on rest day", "rest day"},
    {"on statutory holiday", "statutory holiday"},
    {"clocked in at %(time)", "clocked in since %(time)"},
    {"date", "day"},
    {"absence", "ask for leave", "leave"},
    {"pick-up people", "pick-up person"},
    {"check in", "check-in"},
    {"child", "children"},
]


def fold(message: str) -> str:
    """Lower case, no end punctuation or leading article, each word singular."""
    text = message.lower().strip().rstrip(".:!?…").strip()
    text = re.sub(r"^(the|a|an) ", "", text)
    words = []
    for word in text.split(" "):
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("sses", "xes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def _messages():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh_Hans")
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
        yield msgid, msgstr, message


def test_every_message_is_translated():
    untranslated = [msgid for msgid, msgstr, _message in _messages() if not msgstr]
    assert untranslated == []


def test_no_two_messages_of_different_meaning_share_a_translation():
    shared: dict[str, set[str]] = defaultdict(set)
    for msgid, msgstr, _message in _messages():
        shared[msgstr].add(fold(msgid))
    accepted = [frozenset(group) for group in SAME_MEANING]
    clashes = []
    for msgstr, folded in shared.items():
        if len(folded) < 2:
            continue
        if not any(folded <= group for group in accepted):
            clashes.append(f"{msgstr!r} translates {sorted(folded)}")
    assert clashes == [], "\n".join(clashes)


def test_the_fold_keeps_different_words_apart():
    assert fold("Batches") == fold("batch") == fold("the batch.")
    assert fold("New webhook") != fold("Add webhook")
