"""The safety net: hearing distress in what a member writes, and the help offered when it does.

What it listens for lives in ``content/crisis*.yml`` (one file per language) so
coordinators can read and change it. Each rule names a category (ideation, self-harm,
a plan...) and a few short patterns; a pattern is words separated by spaces, where

- ``{die}`` stands for every word of the family ``die`` (``die dying dead``...),
- ``a|b`` is either word, ``[my]`` an optional word, ``kill*`` any word starting ``kill``,
- ``*`` skips up to three words and ``**`` up to eight, never past the end of a sentence,
- ``#`` is any number (``took # pills``), ``####`` a year, and ``.`` the end of a sentence.

A rule with ``together`` fires when all of its patterns are heard within a few words
of each other (hopelessness *and* feeling trapped); the word model never overrules a
``firm`` rule. Text is folded first (case,
accents and apostrophes ignored), a word one typo away from a long word of the rules
is read as that word (``sucidal``), and the ``quiet`` patterns (idioms such as
"killing it", work talk such as "suicide prevention training") are blanked out. A
pattern right after a negation in the same clause ("I'm *not* suicidal") stays quiet.

Who is at risk is read from the sentence: the person words nearest before what was
heard ("a student told me *she* wants to die"), so the note can speak to the member
about themselves or as a helper; where the whom model (``content/crisis-whom.json``) is
sure whom the whole share-out is about, it decides. A concern never escalates anything by itself; it only
shows the member the resources below, privately.

Only the outcome leaves this module: which categories and rules fired and about whom,
never the text.
"""

from __future__ import annotations

import copy
import functools
import gzip
import importlib.resources
import json
import re
import sys
from bisect import bisect_left, bisect_right
import unicodedata
from collections import defaultdict
from itertools import accumulate, chain, compress, takewhile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import cache
from bot.memo import Memo
from bot.word_model import GAP, WordModel

if TYPE_CHECKING:
    from bot.pattern_set import PatternSet

# ----------------------------------------------------------------------------- what is heard


class Who(StrEnum):
    """Whom a concern is about."""

    SELF = "self"  # the member who wrote it
    OTHER = "other"  # someone they wrote about: a student, a colleague, family


@dataclass(frozen=True)
class Concern:
    """What the safety net heard in a text: never the text itself."""

    about: Who
    child: bool  # someone under the member's care (a student, a child) may be harmed
    categories: frozenset[str]
    rules: frozenset[str]


# ----------------------------------------------------------------------------- folding

# An apostrophe inside a word is dropped ("can't" -> "cant"); any other quote mark is a token.
# (The mark is matched first, and what is before it looked at after: so the search skips
# along to the next quote mark instead of trying the look-behind at every letter.)
_APOSTROPHES = re.compile(r"['\u2019\u02bc`](?<=\w.)(?=\w)")
_QUOTES = re.compile(r"[\"'\u2018\u2019\u201c\u201d\u00ab\u00bb`]")
# Only non-ASCII characters can be combining marks: one curly apostrophe or dash makes a
# share-out non-ASCII, and checking its every letter would cost more than the rest of folding.
# (Split on it, a text is its ASCII stretches and, between them, its non-ASCII runs.)
_NON_ASCII = re.compile(r"([^\x00-\x7f]+)")
SENTENCE = "|"  # the token between sentences: no gap or negation crosses it
QUOTE = '"'  # an opening or closing quote: words inside are someone else's
CLAUSE = ","  # the token between clauses: gaps cross it, negation does not
BLANK = "_"  # a word blanked out by a quiet pattern is this, once per letter (offsets stay put)
# The marks whose meaning hangs on what is around them, written as a mark that doesn't: a
# dash with a space (not a line break) each side is a comma; a colon not inside a word
# ends a sentence, as a line break does (one inside, "10:30", parts two words). The spaces
# are named one by one (each character Python counts as one but the line break): searched
# for so, they cost a third less than as "[^\S\n]". The colon is matched first, as
# apostrophes are.
_SPACE = "[\t\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_SPACED_DASH = re.compile(f"{_SPACE}[-\u2013\u2014]{_SPACE}")
_LONE_COLON = re.compile(r":(?<!\w:)(?!\w)")
# Then each character is a letter or digit, a mark's token, or a space: a stop or a line
# break ends a sentence, a comma or a bracket a clause; and a run of sentence marks with
# nothing but spaces between them is one.
_AS_TOKENS = str.maketrans(
    {chr(code): " " for code in range(128)}
    | {letter: letter for letter in "0123456789abcdefghijklmnopqrstuvwxyz"}
    | dict.fromkeys(".!?;\n", SENTENCE)
    | dict.fromkeys(",()", CLAUSE)
    | {QUOTE: QUOTE}
)
_SENTENCE_MARKS = re.compile(r"\|[ |]*")


def fold(text: str) -> str:
    """Fold text as rules read it: ``I can't go on!`` -> ``i cant go on``."""
    return " ".join(t for t in _tokens(text) if t not in (SENTENCE, CLAUSE, QUOTE))


def _tokens(text: str) -> list[str]:
    """The words of ``text``, lower-case without accents, with sentence and clause marks.

    A sentence with no token in it ("..." after "?!") leaves no mark: one mark between
    sentences, and one after the last.
    """
    text = _APOSTROPHES.sub("", text.casefold())
    if not text.isascii():  # no accents to strip in plain ASCII
        pieces = _NON_ASCII.split(text)
        pieces[1::2] = map(_PLAIN_RUNS.__getitem__, pieces[1::2])
        text = "".join(pieces)
    text = _SPACED_DASH.sub(f" {CLAUSE} ", _QUOTES.sub(f" {QUOTE} ", text))
    if ":" in text:
        text = _LONE_COLON.sub("\n", text)
    if not text.isascii():  # what is left (an emoji, another script's letters...) parts words
        text = _NON_ASCII.sub(" ", text)
    # Every character as itself, its mark's token or a space, in one pass in C (ASCII to
    # ASCII, one to one); then the marks spaced apart and the text split on spaces.
    text = _SENTENCE_MARKS.sub(f" {SENTENCE} ", text.translate(_AS_TOKENS)).replace(CLAUSE, f" {CLAUSE} ")
    tokens = text.split()
    if tokens and tokens[0] == SENTENCE:
        del tokens[0]
    if tokens and tokens[-1] != SENTENCE:
        tokens.append(SENTENCE)
    return tokens


def _without_marks(run: str) -> str:
    """A run of non-ASCII characters decomposed (NFKD), without its combining marks (accents).

    Decomposing each run alone is decomposing the whole text: each character decomposes on
    its own, and the reordering of combining marks never crosses an ASCII character.
    """
    return "".join(ch for ch in unicodedata.normalize("NFKD", run) if not unicodedata.combining(ch))


# The same few runs (an accented letter, a curly quote, an emoji) come again and again.
_PLAIN_RUNS: Memo[str, str] = Memo(_without_marks, limit=4096)


# ----------------------------------------------------------------------------- patterns

_GAPS = {"*": 3, "**": 8}
NUMBER = "#"  # any number: "took # pills"
YEAR = "####"  # a year: "in ####"
_SPECIAL = {NUMBER: "[0-9]+ ", YEAR: "(?:19|20)[0-9][0-9] "}
_GAP_WORD = r"[^ |]+ "
_GAP = re.compile(re.escape(f"(?:{_GAP_WORD}){{0,") + "[0-9]+}")  # a gap of words, as compiled
WORD_START = r"(?<![^ ])"  # every pattern begins at a word: at the start of the line or after a space


class PatternError(ValueError):
    """A pattern in the rules that cannot be read (an unknown word family, an empty pattern)."""


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern, and the words a text must hold for it to match."""

    source: str
    expression: str  # the regular expression it compiles to
    words: frozenset[str] = frozenset()  # every whole word it names, for reading typos
    reach: int = 0  # the sentences past its first a match may run into: each "." but a last one

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """The compiled expression. Compiled when first used: a text is searched with the few
        patterns its index found (:class:`_Index`), and a start from cached content
        (:func:`bot.runtime.load_content`) would otherwise spend a tenth of a second compiling
        the rules' 2,000-odd patterns."""
        return re.compile(self.expression)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the compiled expression, which unpickling would compile again."""
        return {name: value for name, value in self.__dict__.items() if name != "regex"}


def compile_pattern(source: str, families: Mapping[str, Sequence[str]]) -> Pattern:
    """Compile one pattern over folded, space-separated tokens (see the module docstring),
    with ``families``' words folded (:func:`fold`)."""
    pieces: list[str] = []
    named: set[str] = set()
    anchor_found = False
    for raw in _slots(source):
        if raw in _GAPS:
            pieces.append(f"(?:{_GAP_WORD}){{0,{_GAPS[raw]}}}")
            continue
        if raw == ".":
            pieces.append(re.escape(SENTENCE + " "))
            continue
        optional = raw.startswith("[") and raw.endswith("]")
        words = _slot_words(raw[1:-1] if optional else raw, families, source)
        named.update(part for w in words for part in w.split() if not part.endswith("*") and part not in _SPECIAL)
        alternatives = [_word_regex(w) for w in sorted(words, key=len, reverse=True)]
        piece = "(?:" + "|".join(alternatives) + ")"
        pieces.append(piece + "?" if optional else piece)
        anchor_found = anchor_found or not optional
    if not anchor_found:
        raise PatternError(f"{source!r} needs at least one required word")
    slots = _slots(source)
    # Not compiled here: every piece above is a fixed expression or an escaped word, so the
    # expression compiles (tests compile every rule's), and the few a text needs are compiled
    # when first used (Pattern.regex), which spares checking the rules half a second.
    return Pattern(source, WORD_START + "".join(pieces), words=frozenset(named), reach=slots[:-1].count("."))


def _slots(source: str) -> list[str]:
    """A pattern's slots: words split at spaces, except inside ``(...)`` or ``[...]``."""
    slots = re.findall(r"\[[^\]]*\]|[^\s(\[]*\([^)]*\)[^\s]*|\S+", source)
    if "".join(slots).count("(") != "".join(slots).count(")"):
        raise PatternError(f"{source!r} has an unclosed bracket")
    if "?" in source:  # "(a )?word" reads as "a word", both required: an optional word goes in [brackets]
        raise PatternError(f"{source!r} has a '?': write a word that may be left out in [brackets]")
    return slots


def _slot_words(slot: str, families: Mapping[str, Sequence[str]], source: str) -> list[str]:
    """Every word (or words) one slot may stand for: ``a|b``, ``(a b|c)``, ``{family}``."""
    if slot.startswith("(") and slot.endswith(")"):
        slot = slot[1:-1]
    words: list[str] = []
    for part in slot.split("|"):
        part = part.strip()
        if part.startswith("{") and part.endswith("}"):
            family = families.get(part[1:-1])
            if family is None:
                raise PatternError(f"{source!r} uses {part}, which is not a word family")
            words += family
        elif part in _SPECIAL:
            words.append(part)
        elif fold(part.rstrip("*")):
            words.append(fold(part.rstrip("*")) + ("*" if part.endswith("*") else ""))
        else:
            raise PatternError(f"{source!r} has {part!r}, which is not a word")
    return [w for w in words if w]


def _word_regex(word: str) -> str:
    """A family member or literal (possibly several words, possibly a ``stem*``) as regex."""
    if word in _SPECIAL:
        return _SPECIAL[word]
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"[^ |,]* "
    return "".join(re.escape(part) + " " for part in word.split())


# ----------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """A named way of saying something the safety net must hear."""

    id: str
    category: str
    patterns: tuple[Pattern, ...]  # any one of them fires the rule...
    together: bool = False  # ...or, when True, all of them within WINDOW words
    about: Who | None = None  # fixed by the rule ("kill herself"); None: read from the sentence
    examples: tuple[str, ...] = ()
    firm: bool = False  # the word model never overrules it: told calmly, it still reads as risk


@dataclass(frozen=True)
class People:
    """The words that tell whom a sentence is about."""

    self_words: frozenset[str] = frozenset()
    other_words: frozenset[str] = frozenset()
    child_words: frozenset[str] = frozenset()  # also other words: a student, a kid, a son
    reporting: frozenset[str] = frozenset()  # "told", "dijo": the "me" beside them is the listener
    possessive: frozenset[str] = frozenset()  # "my": "my student" is about the student, not me
    objects: frozenset[str] = frozenset()  # "him", "them": someone acted on, never whom a sentence is about
    dropped: frozenset[str] = frozenset()  # "Wrote letters...": a sentence opened by a verb, its "I" left out
    helping: frozenset[str] = frozenset()  # "911", "Narcan": a sentence of getting someone help
    harming: frozenset[str] = frozenset()  # "hits", "grabbed": the person just before does the harm

    @functools.cached_property
    def read_in_counting(self) -> frozenset[str]:
        """The tokens that count in telling whom a text names (:meth:`SafetyNet._people_named`):
        the words for people, and the marks of quotes and sentences; the rest are passed over."""
        return self.self_words | self.other_words | self.dropped | {QUOTE, SENTENCE}


_THEIRS = frozenset({"her", "his", "their"})  # "her kids": someone else's children
CLEARED_AFTER = 3  # in a long share-out, how many sentences after a worry a clearing of it may come
# A share-out of this many sentences or more is long: what the model heard is placed where it
# leant most, its calm is judged around what the rules heard too, and a clearing must follow close.
LONG_TEXT = 5
MODEL_RULE = Rule("word-model", "distress", ())  # what the word model heard, named like a rule
REMEMBERED_QUERIES = 4096  # lookups whose crisis reading is kept...
REMEMBERED_LENGTH = 100  # ...when no longer than this
WINDOW = 30  # words within which the parts of a ``together`` rule must all be heard
NEGATION_REACH = 3  # words before a match in which a negation quiets it
TOLD_BEFORE = 6  # tokens before an opening quote in which it is told to the member ("she texted me at 2am: ")
ASIDE_OPENERS = frozenset({"who", "whose", "whom"})  # an aside about someone: "my dad, who tried in 2016, called"
SAID_AFTER = 8  # words after a closing quote in which whose words they were is told ("..." my student wrote)


@dataclass(frozen=True)
class SafetyNet:
    """The rules, the quiet patterns and the words for negation and people, ready to listen."""

    rules: tuple[Rule, ...] = ()
    quiet: tuple[Pattern, ...] = ()
    personal: tuple[Pattern, ...] = ()  # work words said of oneself ("my own suicide risk"): the quiet patterns leave them
    negations: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()  # "but", "and": negation does not reach past them
    people: People = field(default_factory=People)
    topics: tuple[Pattern, ...] = ()  # a lookup about the crisis topic itself ("suicide", "988")
    past: tuple[Pattern, ...] = ()  # a sentence told of another time ("when I was 16") or asked ("asked if")...
    now: tuple[Pattern, ...] = ()  # ...unless it also says it is back now ("still", "again")
    cleared: tuple[Pattern, ...] = ()  # what was heard of someone else was checked and cleared ("she meant the needle")...
    doubt: tuple[Pattern, ...] = ()  # ...unless the writer doubts it ("I'm not convinced")
    owned: tuple[Pattern, ...] = ()  # the writer says the someone they asked about is them ("the friend is me")
    model: WordModel | None = None  # heard words leaning towards distress where no rule fired
    whom: WordModel | None = None  # reads whom a share-out heard is about: the writer (its class) or someone else
    families: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # word -> "{family}" tags, for the model
    _rule_index: _Index = field(init=False, repr=False, compare=False)
    _quiet_index: _Index = field(init=False, repr=False, compare=False)
    _personal_index: _Index = field(init=False, repr=False, compare=False)
    _past_index: _Index = field(init=False, repr=False, compare=False)
    _now_index: _Index = field(init=False, repr=False, compare=False)
    _cleared_index: _Index = field(init=False, repr=False, compare=False)
    _doubt_index: _Index = field(init=False, repr=False, compare=False)
    _owned_index: _Index = field(init=False, repr=False, compare=False)
    _first: list[int] = field(init=False, repr=False, compare=False)  # each rule's first pattern's place in _rule_index
    _owner: list[int] = field(init=False, repr=False, compare=False)  # each pattern's rule, by its place in _rule_index
    _spelling: Memo[str, str] = field(init=False, repr=False, compare=False)  # token -> the word it is read as
    _emitted: Memo[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)  # token -> the model's words for it
    _gaps: frozenset[str] = field(init=False, repr=False, compare=False)  # tokens the model reads as a gap, ending a negation's reach
    _topic_memo: Callable[[str], bool] = field(init=False, repr=False, compare=False, default=bool)

    def __post_init__(self) -> None:
        # The words read against every token, interned as tokens are (see _spelling_fixer):
        # finding a token among them then ends at the very same object.
        object.__setattr__(self, "negations", frozenset(map(sys.intern, self.negations)))
        object.__setattr__(self, "clause_breaks", frozenset(map(sys.intern, self.clause_breaks)))
        families = {sys.intern(word): tuple(map(sys.intern, tags)) for word, tags in self.families.items()}
        object.__setattr__(self, "families", families)
        groups = {
            "_rule_index": [p for rule in self.rules for p in rule.patterns],
            "_quiet_index": self.quiet,
            "_personal_index": self.personal,
            "_past_index": self.past,
            "_now_index": self.now,
            "_cleared_index": self.cleared,
            "_doubt_index": self.doubt,
            "_owned_index": self.owned,
        }
        # Every pattern of every index in one set, so a line is read once for all of them.
        # (Imported here: Hyperscan's library costs a start some 30 ms, and the net is built after it.)
        from bot.pattern_set import PatternSet

        everything = PatternSet([_scanned(p) for patterns in groups.values() for p in patterns], "crisis-patterns")
        firsts = accumulate(map(len, groups.values()), initial=0)
        indexes: dict[str, object] = {
            name: _Index(patterns, everything, first) for (name, patterns), first in zip(groups.items(), firsts, strict=False)
        }
        indexes["_first"] = list(accumulate((len(rule.patterns) for rule in self.rules[:-1]), initial=0))
        indexes["_owner"] = [i for i, rule in enumerate(self.rules) for _ in rule.patterns]
        for name, index in indexes.items():
            object.__setattr__(self, name, index)
        # Words the rules name, and the words for people and negation: none of them is a typo.
        known = {word for rule in self.rules for pattern in rule.patterns for word in pattern.words}
        people = self.people
        known |= people.self_words | people.other_words | people.reporting | people.possessive
        # Nor is a word the quiet patterns name ("mataram a saudade" is not "matarme" mistyped),
        # though no typo is read as one of them.
        quiet = {word for pattern in self.quiet for word in pattern.words}
        object.__setattr__(self, "_spelling", _spelling_fixer(known | self.negations | self.clause_breaks, quiet))
        object.__setattr__(self, "_gaps", self.clause_breaks | {SENTENCE, CLAUSE, QUOTE})
        object.__setattr__(self, "_emitted", Memo(self._words_for_token, REMEMBERED_TOKENS))
        # Members look up the same terms again and again: each short query is read once.
        object.__setattr__(self, "_topic_memo", functools.lru_cache(maxsize=REMEMBERED_QUERIES)(self._crisis_topic))

    def __reduce__(self) -> tuple[type[SafetyNet], tuple[Any, ...]]:
        """Pickled as what it was built from; the indexes and the typo reader are built again."""
        return type(self), tuple(getattr(self, f.name) for f in fields(self) if f.init)

    def hears(self, text: str) -> Concern | None:
        """What the safety net hears in ``text``: a concern, or None when it stays quiet.

        The rules listen first; the word model keeps a rule quiet only where it is sure the
        whole share-out is calm, and listens itself where no rule fired. A worry about someone
        else told as checked and cleared is set aside; what the writer says of themselves never
        is, and the model does not overrule it (beside a cleared worry, the model reads the
        whole share-out as calm, and the writer's own words are what is left).
        """
        tokens = list(map(self._spelling.__getitem__, _tokens(text)))
        line, past = self._past(self._read(tokens))
        # Read once for both models (the word model's judgement and the whom model's).
        words = self._model_words(line, past) if self.model is not None or self.whom is not None else []
        heard = self._heard(line, past)
        cleared = bool(heard) and self._cleared(line, heard)
        if heard and not cleared and self.model is not None and self._calm_to_the_model(line, heard, words):
            return None  # rules heard a word, but the share-out reads calm to the model ("overdosed on candy")
        if not heard and (heard := self._leaning(line, past, words)):
            cleared = self._cleared(line, heard)
        if cleared:  # "kid said 'I want to die' at her flu shot. She meant the needle."
            heard = self._about_the_writer(tokens, line, past, heard)
        if not heard:
            return None
        abouts = [self._about(tokens, start, end, rule) for rule, start, end in heard]
        whos = {who for who, _ in abouts}
        # Where the whom model is sure, it decides ("My ex keeps showing up at my building...": the
        # writer); but not once a worry about someone else is set aside: what is left is the writer's.
        about = None if cleared else self._sure_whom(words)
        if about is None:
            about = whos.pop() if len(whos) == 1 else self._voice(tokens)  # rules disagree: the whole text says
        if about is Who.OTHER and self._owned(line):  # "Asking for a friend... the friend is me."
            about = Who.SELF
        children = [child for who, child in abouts if who is Who.OTHER]
        return Concern(
            about=about,
            child=about is Who.OTHER and (any(children) if children else self._names_child(tokens)),
            categories=frozenset(rule.category for rule, _, _ in heard),
            rules=frozenset(rule.id for rule, _, _ in heard),
        )

    def is_crisis_topic(self, query: str) -> bool:
        """True when a lookup is about suicide, self-harm, overdose or a crisis line, or the
        rules hear distress in it: it should open the crisis help, not an unrelated entry."""
        if len(query) > REMEMBERED_LENGTH:
            return self._crisis_topic(query)
        return self._topic_memo(query)

    def _crisis_topic(self, query: str) -> bool:
        if self._rules_alone.hears(query) is not None:
            return True
        line = fold(query) + " "
        return any(p.regex.search(line) for p in self.topics)

    @functools.cached_property
    def _rules_alone(self) -> SafetyNet:
        """The same net without its models, which a lookup is read by: a query is a few words,
        and on so few the word model leant on everyday ones ("taking care of yourself as a
        teacher") and never heard a crisis query the rules and topics did not (glossary probe)."""
        return replace(self, model=None, whom=None)

    def rules_heard(self, text: str) -> set[str]:
        """The ids of every rule heard in ``text`` (for checks and reports)."""
        concern = self.hears(text)
        return set(concern.rules) if concern else set()

    # ------------------------------------------------------------------------- inside

    def words_for_model(self, text: str) -> list[str]:
        """The words the word model reads in ``text`` (for training it on the corpus)."""
        return self._model_words(*self._past(self._read(list(map(self._spelling.__getitem__, _tokens(text))))))

    def _read(self, tokens: list[str]) -> _Line:
        """The searchable line of ``tokens``, with the quiet patterns blanked out, but where
        they share a word with work words the writer says of themselves ("my own suicide
        risk": the "suicide risk" of work talk, turned on oneself)."""
        line = _Line(tokens)
        blanked = list(tokens)
        personal = [span for spans in self._personal_index.matches(line).values() for span in spans]
        for spans in self._quiet_index.matches(line).values():
            for start, end in spans:
                if not any(first < end and start < last for first, last in personal):
                    blanked[start:end] = [BLANK * len(t) for t in blanked[start:end]]
        return line.with_tokens(blanked)

    def _past(self, line: _Line) -> tuple[_Line, set[int]]:
        """The sentences told of another time or asked about, and not brought back to now (by
        words of now outside the words of the past: "ten years ago this week" stays past).

        A past told in an aside about someone ("my dad, *who tried when I was a kid*, called me
        Tuesday...") says who they are, not when the sentence happens: the aside is blanked out
        of the line returned, and its sentence is read by the rest of its words.
        """
        then = [span for spans in self._past_index.matches(line).values() for span in spans]
        if not then:
            return line, set()
        now = [
            (start, end)
            for spans in self._now_index.matches(line).values()
            for start, end in spans
            if not any(first <= start and end <= last for first, last in then)
        ]
        # An aside holding a word of now is left as it was: it is not only who they are.
        asides = {aside for start, end in then if (aside := _aside(line.tokens, start, end)) and not _holds(aside, now)}
        if asides:
            then = [(start, end) for start, end in then if not any(first <= start and end <= last for first, last in asides)]
            blanked = list(line.tokens)
            for first, last in asides:
                blanked[first:last] = [BLANK * len(t) for t in blanked[first:last]]
            line = line.with_tokens(blanked)
        return line, {line.sentence_of(start) for start, _ in then} - {line.sentence_of(start) for start, _ in now}

    def _calm_to_the_model(self, line: _Line, heard: list[tuple[Rule, int, int]], words: list[str]) -> bool:
        """True when the word model is sure that what the rules ``heard`` is said calmly, and
        the writer does not doubt that it is ("I'm not convinced") nor says work words of
        themselves ("my own suicide risk"), and no rule heard is firm (a next attempt): a doubt
        is the writer insisting, and the model has seen too few of any of them to outweigh them.

        The model reads the whole share-out (``words``), and in a long one it must be as sure
        of the sentences around what was heard (each one's sentence and its neighbours):
        judged whole, a paragraph of calm work talk outweighed the one sentence at risk.
        """
        assert self.model is not None
        model, sentences = self.model, len(line.ends)
        # Nor where the writer turns work words on themselves: the model learnt those words
        # from calm work talk ("suicide screening"), and hears "on myself" too seldom to weigh it.
        # (Their matches as written, found once by _read: no quiet pattern blanks one of them.)
        if self._doubt_index.matches(line) or self._personal_index.matches(line.written):
            return False
        # Nor a firm rule: a next attempt told calmly ("I survived my first attempt in 2019 and
        # I'm planning the second") is read by the model as the calm recoveries it learnt from.
        if any(rule.firm for rule, _, _ in heard):
            return False
        if sentences >= LONG_TEXT:  # the few sentences first: where the rules heard a risk, seldom calm
            heard_in = {line.sentence_of(start) for _, start, _ in heard}
            near = {n + step for n in heard_in for step in (-1, 0, 1)}
            if not model.sure_calm(self._model_words(line, set(range(sentences)) - near)):
                return False
        return model.sure_calm(words)

    def _sure_whom(self, words: list[str]) -> Who | None:
        """Whom the whole share-out (read as ``words``) is about, where the whom model is sure:
        the writer at its threshold or over, someone else at one minus it or under; None
        between, where the words for people decide."""
        if self.whom is None:
            return None
        writer = self.whom.probability(words)
        if writer >= self.whom.threshold:
            return Who.SELF
        return Who.OTHER if writer <= 1 - self.whom.threshold else None

    def _cleared(self, line: _Line, heard: list[tuple[Rule, int, int]]) -> bool:
        """True when the text tells a worry about someone else as checked and cleared, and
        does not doubt it: what it heard about others then stays quiet (never what it heard
        about the writer). Read on the words as written, since the quiet patterns blank
        words a clearing may need ("she said no to both"). In a long share-out the clearing
        must follow close on what was ``heard`` (from the sentence before it to the third
        after): a student cleared in one paragraph does not clear another in the next."""
        written = line.written
        spans = [span for found in self._cleared_index.matches(written).values() for span in self._spans(written, found, set())]
        if len(line.ends) >= LONG_TEXT:
            worries = {written.sentence_of(start) for _, start, _ in heard}
            spans = [
                (start, end) for start, end in spans if any(-1 <= written.sentence_of(start) - n <= CLEARED_AFTER for n in worries)
            ]
        return bool(spans) and not self._doubt_index.matches(written)

    def _owned(self, line: _Line) -> bool:
        """True when the writer says, in their own words (not inside a quotation), that the
        someone they wrote about is themselves ("asking for a friend... the friend is me")."""
        written = line.written
        found = self._owned_index.matches(written).values()
        return any(_open_quote(written.tokens, start) is None for spans in found for start, _ in spans)

    def _about_the_writer(
        self, tokens: list[str], line: _Line, past: set[int], heard: list[tuple[Rule, int, int]]
    ) -> list[tuple[Rule, int, int]]:
        """What is still heard once the sentences heard about someone else are set aside, as
        told of the past: a rule hears only its first span, so it listens again without them."""
        while heard:
            theirs = [found for found in heard if self._who_of(tokens, *found) is Who.OTHER]
            others = {line.sentence_of(start) for _, start, _ in theirs}
            if not others:
                return heard
            if others <= past:  # nothing left to set aside: the model heard the whole text, whose start is set aside
                return [found for found in heard if found not in theirs]
            past = past | others
            heard = self._heard(line, past) or self._leaning(line, past, self._model_words(line, past))
        return heard

    def _who_of(self, tokens: list[str], rule: Rule, start: int, end: int) -> Who:
        return self._about(tokens, start, end, rule)[0]

    def _leaning(self, line: _Line, past: set[int], words: list[str]) -> list[tuple[Rule, int, int]]:
        """The word model's judgement on ``words`` (read with ``past`` set aside), when the rules
        heard nothing: it hears how words lean together ("part of me hoped the scan would show
        something") where no rule was written."""
        if self.model is None:
            return []
        if not self.model.leans(words):
            return []
        if len(line.ends) < LONG_TEXT:
            return [(MODEL_RULE, 0, len(line.tokens))]
        loudest = self._loudest_sentence(line, past)
        return [(MODEL_RULE, loudest.start, loudest.stop)]

    def _loudest_sentence(self, line: _Line, past: set[int]) -> range:
        """The tokens of the sentence the model leans on most: the one whose words alone it
        scores highest (worked out only once the model has spoken, so rarely)."""
        assert self.model is not None
        model, read = self.model, self._token_words(line)
        sentences = [line.tokens_of(s) for s in range(len(line.ends)) if s not in past] or [line.tokens_of(0)]
        scores = model.probabilities([list(chain.from_iterable(read[tokens.start : tokens.stop])) for tokens in sentences])
        return sentences[scores.index(max(scores))]

    def _model_words(self, line: _Line, past: set[int]) -> list[str]:
        """The words the model reads in ``line`` (see :meth:`_token_words`), with each of the
        ``past`` sentences set aside as one ``|``."""
        read = self._token_words(line)
        if not past:
            return list(chain.from_iterable(read))
        kept: list[list[tuple[str, ...]]] = []
        start = 0
        for sentence in sorted(past):
            tokens = line.tokens_of(sentence)
            kept += [read[start : tokens.start], [(GAP,)]]
            start = tokens.stop
        kept.append(read[start:])
        return list(chain.from_iterable(chain.from_iterable(kept)))

    def _token_words(self, line: _Line) -> list[tuple[str, ...]]:
        """The words the model reads for each token of ``line``: the word (``not_word`` for the
        three after a negation, within its clause), after the rules' word families it belongs
        to (``{pills}`` before ``xanax``, so the model hears a family's words it never saw);
        ``|`` for marks and blanked words. Read once a line: the model reads the same line
        again for the whole text, the sentences around what was heard, and each sentence alone."""
        if line.model_words is not None:
            return line.model_words
        tokens, gaps, negations = line.tokens, self._gaps, self.negations
        read = list(map(self._emitted.__getitem__, tokens))  # each token alone, in C: most are read so
        for at in compress(range(len(tokens)), map(negations.__contains__, tokens)):
            if tokens[at] in gaps:
                continue
            read[at] = (tokens[at],)  # a negation is read as itself, with no family
            for i in range(at + 1, min(at + 1 + NEGATION_REACH, len(tokens))):
                token = tokens[i]
                if token in gaps or token[0] == BLANK or token in negations:
                    break  # a clause ends the negation's reach; the next negation starts its own
                read[i] = (*(sys.intern("not_" + tag) for tag in self.families.get(token, ())), sys.intern("not_" + token))
        line.model_words = read
        return read

    def _words_for_token(self, token: str) -> tuple[str, ...]:
        """The words the model reads for ``token`` outside a negation's reach: its word families'
        tags, then itself; ``|`` for a mark or a blanked word."""
        if token in self._gaps or token[0] == BLANK:
            return (GAP,)
        return (*self.families.get(token, ()), token)

    def _heard(self, line: _Line, past: set[int]) -> list[tuple[Rule, int, int]]:
        found = self._rule_index.matches(line)  # pattern (by its place in the index) -> its spans
        heard: list[tuple[Rule, int, int]] = []
        for index in sorted({self._owner[i] for i in found}):
            rule, first = self.rules[index], self._first[index]
            spans = [self._spans(line, found[i], past) if i in found else [] for i in range(first, first + len(rule.patterns))]
            if rule.together:
                within = _within(spans, WINDOW)
                if within:
                    heard.append((rule, *within))
            elif earliest := min((span for found_here in spans for span in found_here), default=None):
                heard.append((rule, *earliest))
        return heard

    def _spans(self, line: _Line, spans: list[tuple[int, int]], past: set[int]) -> list[tuple[int, int]]:
        """The ``spans`` a pattern matched that lie outside a negation and outside the ``past`` sentences."""
        tokens = line.tokens
        return [(start, end) for start, end in spans if not self._negated(tokens, start) and line.sentence_of(start) not in past]

    def _negated(self, tokens: list[str], start: int) -> bool:
        for token in reversed(tokens[max(0, start - NEGATION_REACH) : start]):
            if token in (SENTENCE, CLAUSE) or token in self.clause_breaks:
                return False
            if token in self.negations:
                return True
        return False

    def _about(self, tokens: list[str], start: int, end: int, rule: Rule) -> tuple[Who, bool]:
        """Whom the words at ``start:end`` are about, and whether that is a child in one's care."""
        if rule is MODEL_RULE:  # the text says whom; in a long one, the sentence it leans on most and the one before
            mine, others = self._people_named(tokens[_previous_sentence_start(tokens, start) : end])
            who = (Who.OTHER if others > mine else Who.SELF) if mine or others else self._voice(tokens)
            return who, who is Who.OTHER and self._names_child(tokens)
        who = rule.about or self._who(tokens, start, end)
        return who, who is Who.OTHER and self._mentions_child(tokens, start)

    def _names_child(self, tokens: list[str], start: int = 0, end: int | None = None) -> bool:
        """True when ``tokens[start:end]`` name a child in one's care: "my student", "a kid",
        not "her kids" or "his son" (another adult's children are not the ones at risk)."""
        child_words = self.people.child_words
        return any(t in child_words and (i == 0 or tokens[i - 1] not in _THEIRS) for i, t in enumerate(tokens[start:end], start))

    def _voice(self, tokens: list[str]) -> Who:
        """Whom a whole text is mostly about: someone else when it names others more often
        than the writer (leaving out "my", "him" and the "me" of "she told me"; the "she" of
        it counts)."""
        mine, others = self._people_named(tokens)
        return Who.OTHER if others > mine else Who.SELF

    def _people_named(self, tokens: list[str]) -> tuple[int, int]:
        """How often ``tokens`` name the writer, and how often someone else (as :meth:`_voice` counts)."""
        people = self.people
        helping = _sentences_holding(tokens, people.helping)
        mine = others = sentence = 0
        quoted = False
        for i in compress(range(len(tokens)), map(people.read_in_counting.__contains__, tokens)):
            token = tokens[i]
            if token == QUOTE:
                quoted = not quoted
                continue
            if token == SENTENCE:
                sentence += 1
                continue
            if sentence in helping and token in people.self_words:
                continue  # "I called 911", "I gave him Narcan": the writer is the one helping
            if not quoted and token in people.dropped and (i == 0 or tokens[i - 1] == SENTENCE):
                mine += 1  # "Left my passwords in an envelope."
                continue
            if token in people.objects or token in people.possessive:
                continue
            if quoted and token in people.self_words:
                others += 1  # "I" in someone's quoted words is them
                continue
            if token in people.self_words and _beside(tokens, i, people.reporting):
                continue  # the "me" of "she told me" is the listener
            if token in people.other_words and _harms(tokens, i, people.harming):
                continue  # "he grabbed me": the one who does the harm is not the one at risk
            others += token in people.other_words
            mine += token in people.self_words and token not in people.other_words
        return mine, others

    def _who(self, tokens: list[str], start: int, end: int) -> Who:
        people = self.people
        quote = _open_quote(tokens, start)
        if quote is not None and (
            self._told_me(tokens, quote) or self._subject_before(tokens, quote) is Who.OTHER or self._said_after(tokens, start)
        ):
            return Who.OTHER  # someone else's words, quoted: who said them is who is at risk
        said = [t for i, t in enumerate(tokens[start:end], start) if not _beside(tokens, i, people.reporting)]
        if any(t in people.self_words for t in said):
            return Who.SELF
        if any(t in people.other_words and t not in people.objects for t in said):
            return Who.OTHER
        return self._subject_before(tokens, start) or Who.SELF

    def _told_me(self, tokens: list[str], quote: int) -> bool:
        """True when the words quoted at ``quote`` were said to the member ("she texted me: "...")."""
        before = [t for t in tokens[max(0, quote - TOLD_BEFORE) : quote] if t not in (SENTENCE, CLAUSE)]
        return any(a in self.people.reporting and b == "me" for a, b in zip(before, before[1:]))

    def _said_after(self, tokens: list[str], index: int) -> bool:
        """True when the quotation holding ``index`` is followed, in its sentence, by whose words
        they were, someone else's (the "I want to die" line *my student wrote*): a word of
        reporting within a few words after the quote closes, and the first person word there
        not the writer."""
        people = self.people
        close = next((i for i in range(index, len(tokens)) if tokens[i] == QUOTE), None)
        if close is None:
            return False
        after = list(takewhile(lambda t: t not in (SENTENCE, QUOTE), tokens[close + 1 : close + 1 + SAID_AFTER]))
        named = [t for t in after if t not in people.objects and t not in people.possessive]
        first = next((t for t in named if t in people.other_words or t in people.self_words), None)
        return first in people.other_words and any(t in people.reporting for t in after)

    def _subject_before(self, tokens: list[str], index: int) -> Who | None:
        """The nearest person word before ``index``, in its sentence or the one before.

        "my" in "my student", the "me" of "she told me" and the "him" of "I can't leave him"
        name no subject and are skipped.
        """
        people = self.people
        for i in range(index - 1, _previous_sentence_start(tokens, index) - 1, -1):
            token = tokens[i]
            if token in people.objects:
                continue
            if token in people.other_words:
                return Who.OTHER
            if token in people.possessive or _beside(tokens, i, people.reporting):
                continue
            if token in people.self_words:
                return Who.SELF
        return None

    def _mentions_child(self, tokens: list[str], start: int) -> bool:
        return self._names_child(tokens, _previous_sentence_start(tokens, start), start + 8)


class _Index:
    """Some of the net's patterns (its rules, or its quiet patterns...), found in a line with
    the search that reads the line once for all the net's patterns (a :class:`PatternSet`):
    it tells which match and in which sentences their matches end, and each of those is then
    searched with its own expression, only in those sentences, for its spans."""

    def __init__(self, patterns: Sequence[Pattern], everything: PatternSet, first: int) -> None:
        self.patterns = patterns
        self._everything = everything
        self._first = first  # the place of this index's first pattern in ``everything``

    def matches(self, line: _Line) -> dict[int, list[tuple[int, int]]]:
        """Each pattern (by its place in the index) that matches ``line``, with its token
        spans (start, end) in order. Searched once per line and remembered there: setting a
        worry cleared about someone else aside listens to the same line again."""
        found = line.found.get(self)
        if found is None:
            found = line.found[self] = self._search(line)
        return found

    def _search(self, line: _Line) -> dict[int, list[tuple[int, int]]]:
        found = {}
        first, patterns = self._first, self.patterns
        for place, ends in sorted(line.ends_in(self._everything).items()):
            if 0 <= place - first < len(patterns):
                pattern = patterns[place - first]
                if spans := line.matches(pattern, line.around(ends, pattern.reach)):
                    found[place - first] = spans
        return found


def _scanned(pattern: Pattern) -> str:
    """``pattern``'s expression as the :class:`PatternSet` searches for it, which may find more
    (each of them is searched again with the pattern's own expression) but never less.

    Hyperscan has no look-behind: "at a word" is a space before it, and a line is read with a
    space before its first word (:meth:`_Line.ends_in`). A gap of a few words is any stretch
    within the sentence: one of at most so many words costs Hyperscan far more to search for.
    """
    return " " + _GAP.sub("[^|]*", pattern.expression.removeprefix(WORD_START))


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """The runs of consecutive numbers among ``numbers``, as (first, last), lowest first."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


class _Line:
    """Tokens as one searchable line (each followed by a space), and where its sentences lie."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.text = " ".join(tokens) + " "
        # Each token's offset, then the end; each sentence's first token after it; each
        # sentence's first offset, and the offset after its end mark (where the next begins).
        self.starts = starts = list(accumulate(map((1).__add__, map(len, tokens)), initial=0))
        self.ends = list(compress(range(1, len(tokens) + 1), map(SENTENCE.__eq__, tokens))) or [len(tokens)]
        self.stops = [starts[end] for end in self.ends]
        self.found: dict[_Index, dict[int, list[tuple[int, int]]]] = {}  # each index's matches, once searched
        self.scanned: dict[PatternSet, dict[int, list[int]]] = {}  # where each set's matches end in it, once searched
        self.blanked_from: _Line | None = None  # for a blanked copy (with_tokens), the line as written
        self.model_words: list[tuple[str, ...]] | None = None  # each token's words as the word model reads them, once read

    def with_tokens(self, tokens: list[str]) -> _Line:
        """The same line with some words replaced by others of the same length (blanked)."""
        line = copy.copy(self)
        line.tokens, line.text, line.found, line.blanked_from = tokens, " ".join(tokens) + " ", {}, self.written
        line.model_words = None
        return line

    @property
    def written(self) -> _Line:
        """The line as written (itself, unless it is a blanked copy)."""
        return self.blanked_from or self

    def ends_in(self, patterns: PatternSet) -> dict[int, list[int]]:
        """Where the matches of each of ``patterns`` that matches end in the line as written
        (:meth:`PatternSet.ends`, with offsets into this line), searched once. A blanked copy
        is read as written: its words are blanked to as many letters, and a blanked word
        matches no pattern's word, so it matches nothing that the line as written does not."""
        written = self.written
        ends = written.scanned.get(patterns)
        if ends is None:  # read with a space first (see _scanned): each offset one less
            found = patterns.ends(" " + written.text)
            ends = written.scanned[patterns] = {i: [end - 1 for end in offsets] for i, offsets in found.items()}
        return ends

    def around(self, offsets: Iterable[int], reach: int) -> list[tuple[int, int]]:
        """The stretches of whole sentences (character offsets) that hold a match of a
        pattern reaching ``reach`` sentences past its first, given where each of its
        matches ends (the offset after its last character).

        No pattern reaches past the end of a sentence but by a "." of its own (no other piece
        matches the sentence mark), so a match lies in the sentence it ends in and at most
        ``reach`` before it. A pattern that stays in one sentence is searched sentence by
        sentence (a quiet pattern across a "." blanks the mark, and the gaps of another must
        not cross it); a run of sentences is searched whole, so a match is found in it just as
        a search of the whole line finds it.
        """
        stops, last = self.stops, [bisect_left(self.stops, offset) for offset in offsets]
        if reach:
            runs = _runs(n - back for n in last for back in range(reach + 1) if n >= back)
        else:
            runs = [(n, n) for n in sorted(set(last))]
        return [(stops[first - 1] if first else 0, stops[end]) for first, end in runs]

    def matches(self, pattern: Pattern, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The token spans (start, end) where ``pattern`` matches within ``regions``."""
        starts, text, finditer = self.starts, self.text, pattern.regex.finditer
        return [
            (bisect_left(starts, match.start()), bisect_left(starts, match.end()))
            for pos, endpos in regions
            for match in finditer(text, pos, endpos)
        ]

    def tokens_of(self, sentence: int) -> range:
        """The positions of the tokens of one sentence."""
        return range(self.ends[sentence - 1] if sentence else 0, self.ends[sentence])

    def sentence_of(self, token: int) -> int:
        """The sentence that holds the token at ``token``."""
        return bisect_right(self.ends, token)


def _sentence_start(tokens: list[str], index: int) -> int:
    i = min(index, len(tokens)) - 1
    while i >= 0 and tokens[i] != SENTENCE:
        i -= 1
    return i + 1


def _holds(span: tuple[int, int], spans: Iterable[tuple[int, int]]) -> bool:
    """True when one of ``spans`` starts inside ``span``."""
    first, last = span
    return any(first <= start < last for start, _ in spans)


def _aside(tokens: list[str], start: int, end: int) -> tuple[int, int] | None:
    """The aside about someone that holds the words at ``start:end``, as the positions from its
    "who" to the comma closing it (", who tried in 2016,"), if they lie in one: opened by a comma
    after a word of its sentence, closed by a comma in the same sentence."""
    opening = start - 1
    while opening >= 0 and tokens[opening] not in (CLAUSE, SENTENCE):
        opening -= 1
    if opening < 1 or tokens[opening] != CLAUSE or tokens[opening - 1] in (CLAUSE, SENTENCE, QUOTE):
        return None
    if tokens[opening + 1] not in ASIDE_OPENERS or any(t in (CLAUSE, SENTENCE) for t in tokens[start:end]):
        return None
    closing = end
    while closing < len(tokens) and tokens[closing] not in (CLAUSE, SENTENCE):
        closing += 1
    return (opening + 1, closing) if closing < len(tokens) and tokens[closing] == CLAUSE else None


def _open_quote(tokens: list[str], index: int) -> int | None:
    """Where the quotation that ``index`` stands in opens (within two sentences), if it does."""
    opened = None
    for i in range(_previous_sentence_start(tokens, index), index):
        if tokens[i] == QUOTE:
            opened = None if opened is not None else i
    return opened


def _previous_sentence_start(tokens: list[str], index: int) -> int:
    """Where the sentence before the one holding ``index`` starts (0 in the first sentence)."""
    here = _sentence_start(tokens, index)
    return _sentence_start(tokens, here - 1) if here > 0 else 0


def _sentences_holding(tokens: list[str], words: frozenset[str]) -> set[int]:
    """The numbers of the sentences (counted by SENTENCE tokens) that hold one of ``words``."""
    holding, sentence, marks = set(), 0, words | {SENTENCE}
    for token in compress(tokens, map(marks.__contains__, tokens)):  # the rest can't change the answer
        if token == SENTENCE:
            sentence += 1
        elif token in words:
            holding.add(sentence)
    return holding


def _beside(tokens: list[str], index: int, words: frozenset[str]) -> bool:
    return any(0 <= j < len(tokens) and tokens[j] in words for j in (index - 1, index + 1))


def _harms(tokens: list[str], index: int, harming: frozenset[str]) -> bool:
    """True when the person word at ``index`` is followed by a harming word, at once or after
    one more ("he hits", "he will kill", "she keeps threatening")."""
    return any(t in harming for t in tokens[index + 1 : index + 3])


def _within(spans: list[list[tuple[int, int]]], window: int) -> tuple[int, int] | None:
    """Where every part is heard within ``window`` words of the first part's span: the span
    of the part heard last, as the words that close the thought say whom it is about."""
    if any(not found for found in spans):
        return None
    for start, end in spans[0]:
        near = [[(s, e) for s, e in found if abs(s - start) <= window] for found in spans[1:]]
        if all(near):
            return max([(start, end), *(found[0] for found in near)])
    return None


def _spelling_fixer(known: set[str], real: frozenset[str] | set[str] = frozenset()) -> Memo[str, str]:
    """Read a word one typo away from a long known word as that word (``sucidal`` -> ``suicidal``);
    ``real`` words are never read as typos, though none is read as a typo of them.

    A typo here is one letter dropped, added, changed, or two swapped, never in the first
    letter (people rarely miss it, and it keeps ``filling`` from becoming ``killing``), in
    a word of six letters or more; in a five-letter word, only two letters swapped
    (``wnats``) or one dropped from a six-letter word (``livng``), since one changed letter
    turns many short words into others. A real word is never read as a typo (``hunting``
    stays ``hunting``).
    """
    by_deletion = _grouped((variant, word) for word in known if len(word) >= 6 for variant in _deletions(word))
    swaps = ((word[:i] + word[i + 1] + word[i] + word[i + 2 :], word) for word in known if len(word) == 5 for i in range(1, 4))
    by_swap = _grouped(swaps)

    def fix(token: str) -> str:
        if not 5 <= len(token) <= LONGEST_TYPO or token in known or token in real or not token.isalpha():
            return token
        if len(token) == 5:  # two letters swapped, or one dropped from a six-letter word ("livng")
            found = {*by_swap.get(token, ()), *by_deletion.get(token, ())}
        else:
            found = set().union(*(by_deletion.get(variant, ()) for variant in _deletions(token)))
        found = {w for w in found if w[0] == token[0] and abs(len(w) - len(token)) <= 1}
        if not found or token in dictionary_words():  # "hunting" is a word, not "hurting" mistyped
            return token
        return max(found, key=lambda w: (len(w), w))  # a dropped letter is the likeliest typo

    # Interned, as the word model's words are: looking a word up in its tables then ends at
    # the word itself (the same object), without reading the word's letters again.
    return Memo(lambda token: sys.intern(fix(token)), REMEMBERED_TOKENS)


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each key of ``pairs`` with the values paired with it, each once: as tuples, since a set
    each, over the typo reader's 13,000-odd keys, took 2.8 MB where tuples take a fifth."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for key, value in pairs:
        grouped[key].add(value)
    return {key: tuple(values) for key, values in grouped.items()}


REMEMBERED_TOKENS = 65_536  # tokens whose reading is kept: every word members use, many times over
LONGEST_TYPO = 40  # longer "words" (a pasted key, a run of one letter) are never read as typos
DICTIONARY_LANGUAGES = ("en", "es")  # Portuguese's list is five times larger and slow to load
COMMON = 100  # how often a word must occur in the lists' source to count as a real word
DICTIONARY_CACHE = "dictionary-words"


@functools.cache
def dictionary_words() -> frozenset[str]:
    """Real words of five letters or more, from pyspellchecker's word-frequency lists.

    A token one typo away from a rule word is read as that word only when it is not a
    real word itself. Loaded the first time a token looks like a typo. Reading the lists
    and folding their words takes most of a second, so the result (about 60,000 words) is
    kept in the cache folder (:mod:`bot.cache`) and read from there in some milliseconds,
    as long as pyspellchecker's lists and this module are those it was made from.
    """
    resources = importlib.resources.files("spellchecker") / "resources"
    sources = [resources.joinpath(f"{language}.json.gz") for language in DICTIONARY_LANGUAGES]
    version = cache.key(
        Path(__file__).read_bytes(),  # how words are folded and chosen
        *(source.read_bytes() for source in sources),
        str(COMMON),
    )
    if (kept := cache.read(DICTIONARY_CACHE, version)) is not None:
        return frozenset(kept.decode().split())
    words: set[str] = set()
    for source in sources:
        with gzip.open(source.open("rb")) as file:
            counts: dict[str, int] = json.load(file)
        words.update(fold(w) for w, n in counts.items() if n >= COMMON and len(w) >= 5 and w.isalpha())
    cache.write(DICTIONARY_CACHE, version, "\n".join(sorted(words)).encode())
    return frozenset(words)


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(1, len(word))}


# ----------------------------------------------------------------------------- loading


Problem = Callable[[str, str], None]  # (where, what is wrong)
RULE_FIELDS = {"id", "category", "about", "say", "together", "examples", "firm"}
FILE_FIELDS = {
    *("reviewed", "language", "words", "people", "negation", "clause_breaks"),
    *("quiet", "personal", "past", "now", "cleared", "doubt", "owned", "topics", "rules"),
}
PATTERN_LISTS = ("quiet", "personal", "topics", "past", "now", "cleared", "doubt", "owned")  # each a list of patterns, file by file
PEOPLE_FIELDS = {"self", "other", "children", "reporting", "possessive", "objects", "dropped", "helping", "harming"}


def build_safety_net(
    files: Sequence[tuple[str, Mapping[str, Any]]],
    problem: Problem,
    model: WordModel | None = None,
    whom: WordModel | None = None,
) -> SafetyNet:
    """Build the safety net from parsed ``crisis*.yml`` files (and the word and whom models, if any),
    reporting each problem as ``problem(where, what)``; word families and people words are
    shared across files."""
    families: dict[str, list[str]] = defaultdict(list)
    people: dict[str, set[str]] = defaultdict(set)
    negations: set[str] = set()
    breaks: set[str] = set()
    for name, data in files:
        for family, words in _mapping_of_lists(name, "words", data.get("words"), problem).items():
            families[family] += map(fold, words)  # folded once, not in each of the patterns naming the family
        for kind, words in _mapping_of_lists(name, "people", data.get("people"), problem).items():
            if kind not in PEOPLE_FIELDS:
                problem(f"{name} people", f"unknown kind {kind!r}; use {', '.join(sorted(PEOPLE_FIELDS))}")
            people[kind] |= {fold(w) for w in words}
        negations |= {fold(w) for w in _list(name, "negation", data.get("negation"), problem)}
        breaks |= {fold(w) for w in _list(name, "clause_breaks", data.get("clause_breaks"), problem)}
    rules: list[Rule] = []
    patterns: dict[str, list[Pattern]] = {kind: [] for kind in PATTERN_LISTS}
    seen: set[str] = set()
    for name, data in files:
        for kind, found in patterns.items():
            found += _patterns(name, kind, _list(name, kind, data.get(kind), problem), families, problem)
        items = data.get("rules")
        if items is not None and not isinstance(items, list):
            problem(f"{name} rules", "must be a list of rules")
            continue
        for index, item in enumerate(items or [], start=1):
            rule = _rule(f"{name} rule {index}", item, families, problem)
            if rule is None:
                continue
            if rule.id in seen:
                problem(f"{name} rule {index}", f"id {rule.id!r} is used twice")
            seen.add(rule.id)
            rules.append(rule)
    children = frozenset(people["children"])
    net = SafetyNet(
        rules=tuple(rules),
        negations=frozenset(negations),
        clause_breaks=frozenset(breaks),
        people=People(
            self_words=frozenset(people["self"]),
            other_words=frozenset(people["other"]) | children,
            child_words=children,
            reporting=frozenset(people["reporting"]),
            possessive=frozenset(people["possessive"]),
            objects=frozenset(people["objects"]),
            dropped=frozenset(people["dropped"]),
            helping=frozenset(people["helping"]),
            harming=frozenset(people["harming"]),
        ),
        model=model,
        whom=whom,
        families=_family_tags(families),
        **{kind: tuple(found) for kind, found in patterns.items()},
    )
    for rule in net.rules:
        for example in rule.examples:
            if rule.id not in net.rules_heard(example):
                problem(f"rule {rule.id}", f"its example {example!r} does not fire it")
    return net


def _family_tags(families: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each one-word member of a word family (folded), with the families it belongs to as ``{name}``."""
    tags: dict[str, list[str]] = defaultdict(list)
    for name, words in sorted(families.items()):
        for word in set(words):
            if word and " " not in word:
                tags[word].append(f"{{{name}}}")
    return {word: tuple(found) for word, found in tags.items()}


def _rule(where: str, item: Any, families: Mapping[str, Sequence[str]], problem: Problem) -> Rule | None:
    if not isinstance(item, dict):
        problem(where, "must be a mapping with id, category, say and examples")
        return None
    if unknown := set(item) - RULE_FIELDS:
        problem(where, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    rule_id, category = str(item.get("id") or "").strip(), str(item.get("category") or "").strip()
    if not rule_id or not category:
        problem(where, "needs an id and a category")
        return None
    where = f"rule {rule_id}"
    about = item.get("about")
    if about is not None and about not in {w.value for w in Who}:
        problem(where, "about must be self or other")
        about = None
    together = item.get("together")
    sources = _list(where, "say", item.get("say"), problem) if together is None else _list(where, "together", together, problem)
    if together is not None and item.get("say") is not None:
        problem(where, "has both say and together; use one")
    if not sources:
        problem(where, "needs at least one pattern under say (or two under together)")
        return None
    examples = _list(where, "examples", item.get("examples"), problem)
    if not examples:
        problem(where, "needs at least one example that fires it")
    firm = item.get("firm", False)
    if not isinstance(firm, bool):
        problem(where, "firm must be true or false")
        firm = False
    patterns = _patterns(where, "say", sources, families, problem)
    if len(patterns) != len(sources):
        return None
    return Rule(rule_id, category, tuple(patterns), together is not None, Who(about) if about else None, tuple(examples), firm)


def _patterns(where: str, name: str, sources: Iterable[str], families: Mapping[str, Sequence[str]], problem: Problem) -> list[Pattern]:
    patterns = []
    for source in sources:
        try:
            patterns.append(compile_pattern(source, families))
        except PatternError as error:
            problem(f"{where} {name}", str(error))
    return patterns


def _list(where: str, name: str, items: Any, problem: Problem) -> list[str]:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        problem(f"{where} {name}", "must be a list of words or patterns")
        return []
    return [i.strip() for i in items]


def _mapping_of_lists(where: str, name: str, data: Any, problem: Problem) -> dict[str, list[str]]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        problem(f"{where} {name}", "must be a mapping of names to lists of words")
        return {}
    return {str(key): _list(f"{where} {name}", str(key), words, problem) for key, words in data.items()}


# ----------------------------------------------------------------------------- where to turn


@dataclass(frozen=True)
class Resource:
    """One place to turn to in a crisis: its name and how to reach it, as plain text."""

    name: str
    how: str


# United States crisis lines, worded as their operators describe them. Checked against
# 988lifeline.org, crisistextline.org, thehotline.org and childhelphotline.org; change
# only after checking there again.
NOT_A_CRISIS_SERVICE = (
    "heart-bot and this community are peer support, not a crisis service, and nobody watches share-outs as they arrive."
)
# The one-line reminder shown wherever the bot mentions crisis help in passing.
IN_A_CRISIS = (
    "heart-bot is peer support, not a crisis service. In a crisis, call or text 988 (or chat at 988lifeline.org), "
    "text HOME to 741741, or call 911 in immediate danger."
)
LIFELINE = Resource(
    "988 Suicide & Crisis Lifeline",
    "call or text 988, or chat at 988lifeline.org (24/7, free, confidential; press 1 for the Veterans Crisis Line, "
    "press 2 for Spanish)",
)
TEXT_LINE = Resource("Crisis Text Line", "text HOME to 741741 (24/7, free)")
EMERGENCY = Resource("911", "call 911 if you or someone else is in immediate danger")
RESOURCES = (LIFELINE, TEXT_LINE, EMERGENCY)
DOMESTIC_VIOLENCE = Resource(
    "National Domestic Violence Hotline", "call 1-800-799-7233 or text START to 88788 (24/7, free, confidential)"
)
CHILD_ABUSE = Resource("Childhelp National Child Abuse Hotline", "call or text 1-800-422-4453 (24/7)")
ABUSE = "abuse"  # the category of rules about abuse or violence happening now


class NoteFor(StrEnum):
    """Whom the safety note speaks to, read from a concern."""

    SELF = "self"  # the member may be at risk
    SELF_UNSAFE = "self-unsafe"  # the member may not be safe where they live
    HELPER = "helper"  # the member wrote about someone else at risk
    HELPER_CHILD = "helper-child"  # ...and a child may be harmed: the mandated-reporter reminder


def note_for(concern: Concern) -> NoteFor:
    """The note that fits what was heard: about the member, or for a helper."""
    if concern.about is Who.SELF:
        return NoteFor.SELF_UNSAFE if concern.categories == {ABUSE} else NoteFor.SELF
    return NoteFor.HELPER_CHILD if concern.child else NoteFor.HELPER


def resources_for(note: NoteFor) -> tuple[Resource, ...]:
    """The lines to offer, most urgent first."""
    if note is NoteFor.SELF_UNSAFE:
        return (EMERGENCY, DOMESTIC_VIOLENCE, LIFELINE, TEXT_LINE)
    if note is NoteFor.HELPER_CHILD:
        return (*RESOURCES, CHILD_ABUSE)
    return RESOURCES
