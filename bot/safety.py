"""The safety net: hearing distress in what a member writes, and the help offered when it does.

What it listens for lives in ``content/crisis*.yml`` (one file per language) so
coordinators can read and change it. Each rule names a category (ideation, self-harm,
a plan...) and a few short patterns; a pattern is words separated by spaces, where

- ``{die}`` stands for every word of the family ``die`` (``die dying dead``...),
- ``a|b`` is either word, ``[my]`` an optional word, ``kill*`` any word starting ``kill``,
- ``*`` skips up to three words and ``**`` up to eight, never past the end of a sentence.

A rule with ``together`` fires when all of its patterns are heard within a few words
of each other (hopelessness *and* feeling trapped). Text is folded first (case,
accents and apostrophes ignored), a word one typo away from a long word of the rules
is read as that word (``sucidal``), and the ``quiet`` patterns (idioms such as
"killing it", work talk such as "suicide prevention training") are blanked out. A
pattern right after a negation in the same clause ("I'm *not* suicidal") stays quiet.

Who is at risk is read from the sentence: the person words nearest before what was
heard ("a student told me *she* wants to die"), so the note can speak to the member
about themselves or as a helper. A concern never escalates anything by itself; it only
shows the member the resources below, privately.

Only the outcome leaves this module: which categories and rules fired and about whom,
never the text.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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

_SENTENCE_END = re.compile(r"[.!?;\n\u2026]+|(?<!\w):(?!\w)")
_CLAUSE_MARK = re.compile(r",|\s[-\u2013\u2014]\s|\(|\)")
# An apostrophe inside a word is dropped ("can't" -> "cant"); any other quote mark is a token.
_APOSTROPHES = re.compile(r"(?<=\w)['\u2019\u02bc`](?=\w)")
_QUOTES = re.compile(r"[\"'\u2018\u2019\u201c\u201d\u00ab\u00bb`]")
_WORD = re.compile(r"[0-9a-z]+|,|\"")
SENTENCE = "|"  # the token between sentences: no gap or negation crosses it
QUOTE = '"'  # an opening or closing quote: words inside are someone else's
CLAUSE = ","  # the token between clauses: gaps cross it, negation does not
BLANK = "_"  # a word blanked out by a quiet pattern


def fold(text: str) -> str:
    """Fold text as rules read it: ``I can't go on!`` -> ``i cant go on``."""
    return " ".join(t for t in _tokens(text) if t not in (SENTENCE, CLAUSE, QUOTE))


def _tokens(text: str) -> list[str]:
    """The words of ``text``, lower-case without accents, with sentence and clause marks."""
    text = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text.casefold()))
    text = _QUOTES.sub(' " ', "".join(ch for ch in text if not unicodedata.combining(ch)))
    tokens: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        words = _WORD.findall(_CLAUSE_MARK.sub(" , ", sentence))
        if words:
            tokens += [*words, SENTENCE]
    return tokens


# ----------------------------------------------------------------------------- patterns

_GAPS = {"*": 3, "**": 8}
_GAP_WORD = r"[^ |]+ "


class PatternError(ValueError):
    """A pattern in the rules that cannot be read (an unknown word family, an empty pattern)."""


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern, and the words of which the text must hold at least one."""

    source: str
    regex: re.Pattern[str]
    anchors: frozenset[str] | None  # None: no single word is required (a stem), always tried
    words: frozenset[str] = frozenset()  # every whole word it names, for reading typos


def compile_pattern(source: str, families: Mapping[str, Sequence[str]]) -> Pattern:
    """Compile one pattern over folded, space-separated tokens (see the module docstring)."""
    pieces: list[str] = []
    named: set[str] = set()
    anchors: frozenset[str] | None = None
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
        named.update(part for w in words for part in w.split() if not part.endswith("*"))
        alternatives = [_word_regex(w) for w in sorted(words, key=len, reverse=True)]
        piece = "(?:" + "|".join(alternatives) + ")"
        pieces.append(piece + "?" if optional else piece)
        if not optional:
            # A required slot: a text holding none of its words can't match. The slot with
            # the fewest short (common) words is the one checked, so few texts get further.
            firsts = {w.split()[0] for w in words}
            slot = None if any(w.endswith("*") for w in firsts) else frozenset(firsts)
            if not anchor_found or (slot is not None and (anchors is None or _commonness(slot) < _commonness(anchors))):
                anchors = slot
            anchor_found = True
    if not anchor_found:
        raise PatternError(f"{source!r} needs at least one required word")
    return Pattern(source, re.compile(r"(?<![^ ])" + "".join(pieces)), anchors, frozenset(named))


def _commonness(words: frozenset[str]) -> tuple[int, int]:
    """How often a slot's words turn up in ordinary text, roughly: short words first, then many."""
    return sum(len(w) <= 3 for w in words), len(words)


def _slots(source: str) -> list[str]:
    """A pattern's slots: words split at spaces, except inside ``(...)`` or ``[...]``."""
    slots = re.findall(r"\[[^\]]*\]|[^\s(\[]*\([^)]*\)[^\s]*|\S+", source)
    if "".join(slots).count("(") != "".join(slots).count(")"):
        raise PatternError(f"{source!r} has an unclosed bracket")
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
            words += [fold(w) for w in family]
        elif fold(part.rstrip("*")):
            words.append(fold(part.rstrip("*")) + ("*" if part.endswith("*") else ""))
        else:
            raise PatternError(f"{source!r} has {part!r}, which is not a word")
    return [w for w in words if w]


def _word_regex(word: str) -> str:
    """A family member or literal (possibly several words, possibly a ``stem*``) as regex."""
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


@dataclass(frozen=True)
class People:
    """The words that tell whom a sentence is about."""

    self_words: frozenset[str] = frozenset()
    other_words: frozenset[str] = frozenset()
    child_words: frozenset[str] = frozenset()  # also other words: a student, a kid, a son
    reporting: frozenset[str] = frozenset()  # "told", "dijo": the "me" beside them is the listener
    possessive: frozenset[str] = frozenset()  # "my": "my student" is about the student, not me


REMEMBERED_QUERIES = 4096  # lookups whose crisis reading is kept...
REMEMBERED_LENGTH = 100  # ...when no longer than this
WINDOW = 30  # words within which the parts of a ``together`` rule must all be heard
NEGATION_REACH = 3  # words before a match in which a negation quiets it


@dataclass(frozen=True)
class SafetyNet:
    """The rules, the quiet patterns and the words for negation and people, ready to listen."""

    rules: tuple[Rule, ...] = ()
    quiet: tuple[Pattern, ...] = ()
    negations: frozenset[str] = frozenset()
    clause_breaks: frozenset[str] = frozenset()  # "but", "and": negation does not reach past them
    people: People = field(default_factory=People)
    topics: tuple[Pattern, ...] = ()  # a lookup about the crisis topic itself ("suicide", "988")
    _by_anchor: dict[str, list[int]] = field(init=False, repr=False, compare=False, default_factory=dict)
    _always: list[int] = field(init=False, repr=False, compare=False, default_factory=list)
    _spelling: Callable[[str], str] = field(init=False, repr=False, compare=False, default=str)
    _topic_memo: Callable[[str], bool] = field(init=False, repr=False, compare=False, default=bool)

    def __post_init__(self) -> None:
        by_anchor: dict[str, list[int]] = defaultdict(list)
        always: list[int] = []
        for index, rule in enumerate(self.rules):
            anchors = [p.anchors for p in rule.patterns]
            if rule.together:  # every part must be heard: one part's anchors are enough to skip
                anchors = anchors[:1]
            if any(a is None for a in anchors):
                always.append(index)
                continue
            for word in set().union(*anchors):
                by_anchor[word].append(index)
        object.__setattr__(self, "_by_anchor", dict(by_anchor))
        object.__setattr__(self, "_always", always)
        # Words the rules name, and the words for people and negation: none of them is a typo.
        known = {word for rule in self.rules for pattern in rule.patterns for word in pattern.words}
        people = self.people
        known |= people.self_words | people.other_words | people.reporting | people.possessive
        object.__setattr__(self, "_spelling", _spelling_fixer(known | self.negations | self.clause_breaks))
        # Members look up the same terms again and again: each short query is read once.
        object.__setattr__(self, "_topic_memo", functools.lru_cache(maxsize=REMEMBERED_QUERIES)(self._crisis_topic))

    def hears(self, text: str) -> Concern | None:
        """What the rules hear in ``text``: a concern, or None when it stays quiet."""
        tokens = [self._spelling(t) for t in _tokens(text)]
        heard = self._heard(tokens, self._candidates(tokens))
        if not heard:
            return None
        abouts = [self._about(tokens, start, end, rule) for rule, start, end in heard]
        about = Who.SELF if any(who is Who.SELF for who, _ in abouts) else Who.OTHER
        return Concern(
            about=about,
            child=any(child for who, child in abouts if who is Who.OTHER),
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
        if self.hears(query) is not None:
            return True
        line = fold(query) + " "
        return any(p.regex.search(line) for p in self.topics)

    def rules_heard(self, text: str) -> set[str]:
        """The ids of every rule heard in ``text`` (for checks and reports)."""
        concern = self.hears(text)
        return set(concern.rules) if concern else set()

    # ------------------------------------------------------------------------- inside

    def _candidates(self, tokens: list[str]) -> list[Rule]:
        indexes = set(self._always)
        for token in set(tokens):
            indexes.update(self._by_anchor.get(token, ()))
        return [self.rules[i] for i in sorted(indexes)]

    def _heard(self, tokens: list[str], candidates: list[Rule]) -> list[tuple[Rule, int, int]]:
        if not candidates:
            return []
        line, starts = _line(self._blank_quiet(tokens))
        heard: list[tuple[Rule, int, int]] = []
        for rule in candidates:
            spans = [self._spans(line, starts, tokens, p) for p in rule.patterns]
            if rule.together:
                found = _within(spans, WINDOW)
                if found:
                    heard.append((rule, *found))
            else:
                first = min((s for found in spans for s in found), default=None)
                if first is not None:
                    heard.append((rule, *first))
        return heard

    def _blank_quiet(self, tokens: list[str]) -> list[str]:
        line, starts = _line(tokens)
        blanked = list(tokens)
        present = set(tokens)
        for pattern in self.quiet:
            if pattern.anchors is not None and present.isdisjoint(pattern.anchors):
                continue
            for match in pattern.regex.finditer(line):
                for i in range(_index(starts, match.start()), _index(starts, match.end())):
                    blanked[i] = BLANK
        return blanked

    def _spans(self, line: str, starts: list[int], tokens: list[str], pattern: Pattern) -> list[tuple[int, int]]:
        """Word spans where ``pattern`` is heard outside a negation."""
        spans: list[tuple[int, int]] = []
        if pattern.anchors is not None and pattern.anchors.isdisjoint(tokens):
            return spans
        for match in pattern.regex.finditer(line):
            start, end = _index(starts, match.start()), _index(starts, match.end())
            if not self._negated(tokens, start):
                spans.append((start, end))
        return spans

    def _negated(self, tokens: list[str], start: int) -> bool:
        for token in reversed(tokens[max(0, start - NEGATION_REACH) : start]):
            if token in (SENTENCE, CLAUSE) or token in self.clause_breaks:
                return False
            if token in self.negations:
                return True
        return False

    def _about(self, tokens: list[str], start: int, end: int, rule: Rule) -> tuple[Who, bool]:
        """Whom the words at ``start:end`` are about, and whether that is a child in one's care."""
        who = rule.about or self._who(tokens, start, end)
        return who, who is Who.OTHER and self._mentions_child(tokens, start)

    def _who(self, tokens: list[str], start: int, end: int) -> Who:
        people = self.people
        quote = _open_quote(tokens, start)
        if quote is not None and self._subject_before(tokens, quote) is Who.OTHER:
            return Who.OTHER  # someone else's words, quoted: who said them is who is at risk
        said = tokens[start:end]
        if any(t in people.self_words for t in said):
            return Who.SELF
        if any(t in people.other_words for t in said):
            return Who.OTHER
        return self._subject_before(tokens, start) or Who.SELF

    def _subject_before(self, tokens: list[str], index: int) -> Who | None:
        """The nearest person word before ``index``, in its sentence or the one before.

        "my" in "my student" and the "me" of "she told me" name no subject and are skipped.
        """
        people = self.people
        for i in range(index - 1, _previous_sentence_start(tokens, index) - 1, -1):
            token = tokens[i]
            if token in people.other_words:
                return Who.OTHER
            if token in people.possessive or _beside(tokens, i, people.reporting):
                continue
            if token in people.self_words:
                return Who.SELF
        return None

    def _mentions_child(self, tokens: list[str], start: int) -> bool:
        begin = _previous_sentence_start(tokens, start)
        return any(t in self.people.child_words for t in tokens[begin : start + 8])


def _line(tokens: list[str]) -> tuple[str, list[int]]:
    """Tokens as one searchable line (each followed by a space) and each token's offset."""
    starts, offset = [], 0
    for token in tokens:
        starts.append(offset)
        offset += len(token) + 1
    starts.append(offset)
    return "".join(t + " " for t in tokens), starts


def _index(starts: list[int], offset: int) -> int:
    """The token at character ``offset`` of a line (its first token at or after it)."""
    return bisect_left(starts, offset)


def _sentence_start(tokens: list[str], index: int) -> int:
    i = min(index, len(tokens)) - 1
    while i >= 0 and tokens[i] != SENTENCE:
        i -= 1
    return i + 1


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


def _beside(tokens: list[str], index: int, words: frozenset[str]) -> bool:
    return any(0 <= j < len(tokens) and tokens[j] in words for j in (index - 1, index + 1))


def _within(spans: list[list[tuple[int, int]]], window: int) -> tuple[int, int] | None:
    """The first span of the first part that has a span of every other part within ``window`` words."""
    if any(not found for found in spans):
        return None
    for start, end in spans[0]:
        if all(any(abs(s - start) <= window for s, _ in found) for found in spans[1:]):
            return start, end
    return None


def _spelling_fixer(known: set[str]) -> Callable[[str], str]:
    """Read a word one typo away from a long known word as that word (``sucidal`` -> ``suicidal``).

    A typo here is one letter dropped, added, changed, or two swapped, never in the first
    letter (people rarely miss it, and it keeps ``filling`` from becoming ``killing``), in
    a word of six letters or more; in a five-letter word, only two letters swapped
    (``wnats``), since one changed letter turns many short words into others.
    """
    by_deletion: dict[str, set[str]] = defaultdict(set)
    by_swap: dict[str, str] = {}
    for word in known:
        if len(word) >= 6:
            for variant in _deletions(word):
                by_deletion[variant].add(word)
        elif len(word) == 5:
            for i in range(1, 4):
                by_swap.setdefault(word[:i] + word[i + 1] + word[i] + word[i + 2 :], word)

    # A word one letter longer than the longest known word is no typo of one; measuring it
    # would cost its length squared (a 100,000-letter "word" took seconds).
    longest = max((len(word) for word in known), default=0)

    @functools.lru_cache(maxsize=65_536)
    def fix(token: str) -> str:
        if len(token) < 5 or len(token) > longest + 1 or token in known or not token.isalpha():
            return token
        if len(token) == 5:
            return by_swap.get(token, token)
        found = set()
        for variant in _deletions(token):
            found |= by_deletion.get(variant, set())
        found = {w for w in found if w[0] == token[0] and abs(len(w) - len(token)) <= 1}
        return min(found) if len(found) == 1 else token

    return fix


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(1, len(word))}


# ----------------------------------------------------------------------------- loading


Problem = Callable[[str, str], None]  # (where, what is wrong)
RULE_FIELDS = {"id", "category", "about", "say", "together", "examples"}
FILE_FIELDS = {"reviewed", "language", "words", "people", "negation", "clause_breaks", "quiet", "topics", "rules"}
PEOPLE_FIELDS = {"self", "other", "children", "reporting", "possessive"}


def build_safety_net(files: Sequence[tuple[str, Mapping[str, Any]]], problem: Problem) -> SafetyNet:
    """Build the safety net from parsed ``crisis*.yml`` files, reporting each problem as
    ``problem(where, what)``; word families and people words are shared across files."""
    families: dict[str, list[str]] = defaultdict(list)
    people: dict[str, set[str]] = defaultdict(set)
    negations: set[str] = set()
    breaks: set[str] = set()
    for name, data in files:
        for family, words in _mapping_of_lists(name, "words", data.get("words"), problem).items():
            families[family] += words
        for kind, words in _mapping_of_lists(name, "people", data.get("people"), problem).items():
            if kind not in PEOPLE_FIELDS:
                problem(f"{name} people", f"unknown kind {kind!r}; use {', '.join(sorted(PEOPLE_FIELDS))}")
            people[kind] |= {fold(w) for w in words}
        negations |= {fold(w) for w in _list(name, "negation", data.get("negation"), problem)}
        breaks |= {fold(w) for w in _list(name, "clause_breaks", data.get("clause_breaks"), problem)}
    rules: list[Rule] = []
    quiet: list[Pattern] = []
    topics: list[Pattern] = []
    seen: set[str] = set()
    for name, data in files:
        quiet += _patterns(name, "quiet", _list(name, "quiet", data.get("quiet"), problem), families, problem)
        topics += _patterns(name, "topics", _list(name, "topics", data.get("topics"), problem), families, problem)
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
        quiet=tuple(quiet),
        negations=frozenset(negations),
        clause_breaks=frozenset(breaks),
        people=People(
            self_words=frozenset(people["self"]),
            other_words=frozenset(people["other"]) | children,
            child_words=children,
            reporting=frozenset(people["reporting"]),
            possessive=frozenset(people["possessive"]),
        ),
        topics=tuple(topics),
    )
    for rule in net.rules:
        for example in rule.examples:
            if rule.id not in net.rules_heard(example):
                problem(f"rule {rule.id}", f"its example {example!r} does not fire it")
    return net


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
    patterns = _patterns(where, "say", sources, families, problem)
    if len(patterns) != len(sources):
        return None
    return Rule(rule_id, category, tuple(patterns), together is not None, Who(about) if about else None, tuple(examples))


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
