"""A gentle check for details that could identify someone: a full name, a phone number, an email
address or a date of birth.

This is a heuristic that errs towards asking; a warning never blocks a share-out, it
only asks the member to look again ("a 9th grader" or initials instead of a name).

* A phone number is 10 digits in the usual US groupings (``(413) 555-0123``,
  ``413.555.0123``, ``+1 413 555 0123``) or 7 digits written ``555-0123``.
* An email address is ``someone@example.org``.
* A date of birth is a date written next to "born", "DOB", "date of birth" or "birthday"
  (``DOB 3/14/2012``, ``born March 14, 2012``, ``birthday 2012-03-14``).
* A full name is two capitalized words in a row (``Maria Lopez``, ``Seán O'Brien``,
  ``Amy McDonald-Reyes``), neither of which is a common capitalized word: sentence
  starters, days, months, titles of programs and places this community often writes
  (``New England``, ``Peer Support Hour``, ``Community Health Center``). Words in
  capitals (``IEP``, ``DCF``) are never names.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Concern(StrEnum):
    """A kind of detail that could identify someone."""

    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    BIRTH_DATE = "birth_date"


_PHONE = re.compile(
    r"(?<![\w.])"
    r"(?:(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}"  # 10 digits, optional +1
    r"|\d{3}-\d{4})"  # 7 digits with a dash
    r"(?![\w.]?\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MONTH_NAMES = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
)
_A_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"  # 3/14/2012, 03-14-12
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2012-03-14
    rf"|{_MONTH_NAMES}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"  # March 14, 2012
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAMES},?\s+\d{{4}})"  # 14 March 2012
)
_BIRTH_DATE = re.compile(
    rf"\b(?:born|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday)\b\W{{0,3}}(?:(?:on|is|was)\s+)?{_A_DATE}",
    re.IGNORECASE,
)
# A word: letters, with inner apostrophes or hyphens (O'Brien, McDonald-Reyes).
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_BETWEEN_NAMES = re.compile(r"[ \t]+")

# Capitalized words that are not names. Lower-case here; compared case-insensitively.
_NOT_NAMES = frozenset(
    """
    a about after again all also an and any are as at be because been before being both but by can could did do
    does during each even every few for from had has have having he her here hers him his how i if in into is it
    its just let like may me more most my no nor not now of off on once only or other our ours out over own please
    same she should so some such than thank thanks that the their them then there these they this those through
    to today tomorrow too under until up very was we were what when where which while who whom why will with would
    yes yesterday you your yours hi hello hey dear sincerely best regards ok okay still sometimes maybe great good
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december spring summer fall autumn winter christmas thanksgiving easter halloween
    mr mrs ms mx dr miss sir madam principal superintendent counselor teacher nurse coach
    new england boston massachusetts connecticut maine vermont rhode island hampshire york providence hartford
    worcester springfield portland burlington manchester cambridge lowell america american united states us north
    south east west western eastern central county city town state district
    school schools public high middle elementary academy charter college university department office services
    service agency agencies hospital clinic center centre health mental behavioral behavioural community family
    families peer support hour group team program programme collective heart crisis text line lifeline first aid
    google zoom slack teams classroom meet microsoft
    """.split()  # noqa: SIM905 (a word list reads best as prose)
)


def concerns(text: str) -> set[Concern]:
    """What in ``text`` looks like it could identify someone (empty when nothing does)."""
    found: set[Concern] = set()
    if _PHONE.search(text):
        found.add(Concern.PHONE)
    if _EMAIL.search(text):
        found.add(Concern.EMAIL)
    if _BIRTH_DATE.search(text):
        found.add(Concern.BIRTH_DATE)
    if _has_full_name(text):
        found.add(Concern.NAME)
    return found


def _looks_like_name(word: str) -> bool:
    return word[0].isupper() and not word.isupper() and word.casefold() not in _NOT_NAMES


def _has_full_name(text: str) -> bool:
    words = list(_WORD.finditer(text))
    for first, second in zip(words, words[1:], strict=False):
        adjacent = _BETWEEN_NAMES.fullmatch(text, first.end(), second.start()) is not None
        if adjacent and _looks_like_name(first.group()) and _looks_like_name(second.group()):
            return True
    return False
