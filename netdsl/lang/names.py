"""Names compared the way a person reads them: near misses and look-alikes.

`NameIndex` answers "which of these names did the user mean?" for
`diagnostics.did_you_mean`, in bounded time however many names and misspelled
uses a spec has:

- names are compared in a normal form (lower case, NFD so that a Hangul
  syllable counts as its letters); a name that differs from the word only by
  look-alike letters (`hаl` with a Cyrillic `а` for `hal`) is found by a
  dictionary lookup of its *skeleton* and always suggested first;
- otherwise candidates are scored with difflib's ratio (as before), but only
  names whose length allows a ratio of 0.6 are looked at, and when there are
  more than SCAN of them, only the SCAN that share the most letter pairs
  (bigrams) with the word are scored;
- an index counts the bigram postings it has walked; past BUDGET it stops
  suggesting by similarity (look-alikes are still found): the first hundreds
  of misspellings in a huge spec get their suggestion, the spec's check stays
  linear;
- indexes (one per set of names) and answers (per word) are cached.

Skeletons map the Cyrillic and Greek letters that look like Latin ones (a
subset of Unicode TR39's confusables: the letters of these scripts that share
a glyph with a Latin letter) after NFKC (which folds fullwidth and other
compatibility forms).
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Iterable

CUTOFF = 0.6  # difflib ratio a suggestion needs
TIE = 0.08  # candidates this close to the best are named too
SCAN = 64  # candidates scored exactly per lookup
BUDGET = 5_000_000  # bigram postings walked per index before similarity search stops

# Look-alikes of Latin letters, by code point (lower and upper case).
_LOOKALIKES = dict(
    zip(
        # Cyrillic
        "аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТХУІЈЅԚԜ"
        # Greek
        "οαιυνκρτχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
        "aeopcyxijsdhlqwbkmhtABEKMHOPCTXYIJSQWoaiuvkptxABEZHIKMNOPTYX",
    )
)


# What the grammar's NAME terminal matches (netdsl.lark), and the keywords it may not be.
_IDENTIFIER = re.compile(r"[^\W\d][\w\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*")
KEYWORDS = frozenset(
    ("network", "input", "output", "compile", "train", "block", "layer", "return", "import", "from", "as")
)


def written(name: str) -> str:
    """A name as a spec must write it: bare when it is an identifier, else in quotes."""
    if _IDENTIFIER.fullmatch(name) and name not in KEYWORDS:
        return name
    return f'"{name}"'


def skeleton(name: str) -> str:
    """The name with look-alike letters replaced by the Latin letter they look like."""
    folded = unicodedata.normalize("NFKC", name)
    if folded.isascii():
        return folded
    return "".join(_LOOKALIKES.get(ch, ch) for ch in folded)


def script_difference(written: str, meant: str) -> str | None:
    """Why two names that look alike differ: "differs in letter 2: Cyrillic 'а' U+0430"."""
    a, b = unicodedata.normalize("NFC", written), unicodedata.normalize("NFC", meant)
    if a == b or skeleton(a) != skeleton(b):
        return None
    for k, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"differs in letter {k}: {_script_of(x)} '{x}' U+{ord(x):04X}"
    return None


def _script_of(ch: str) -> str:
    words = unicodedata.name(ch, "").split()
    if not words:
        return "unnamed"
    return "fullwidth" if words[0] == "FULLWIDTH" else words[0].capitalize()


def comparable(name: str) -> str:
    """Lower case, and Hangul syllables split into their letters (NFD), so that
    a one-letter typo in a two-syllable Korean name is still a near miss."""
    lowered = name.lower()
    return lowered if lowered.isascii() else unicodedata.normalize("NFD", lowered)


class NameIndex:
    """The names one diagnostic may suggest, indexed for repeated lookups."""

    def __init__(self, names: Iterable[str]):
        self.names = sorted(set(names), key=lambda n: (len(comparable(n)), n))
        self.keys = [comparable(n) for n in self.names]
        self.lengths = [len(k) for k in self.keys]
        self.skeletons: dict[str, list[str]] = {}
        for name in self.names:
            self.skeletons.setdefault(skeleton(comparable(name)), []).append(name)
        self._grams: dict[str, list[int]] | None = None
        self.work = 0
        self.answers: dict[tuple[str, int], list[str]] = {}

    def closest(self, word: str, n: int = 3) -> list[str]:
        """Up to n names the word may mean, best first (look-alikes before near misses)."""
        answer = self.answers.get((word, n))
        if answer is None:
            answer = self.answers[(word, n)] = self._closest(word, n)
        return answer

    def _closest(self, word: str, n: int) -> list[str]:
        key = comparable(word)
        alike = [c for c in self.skeletons.get(skeleton(key), ()) if c != word]
        if alike:
            return alike[:n]
        pool = self._pool(key)
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq2(key)  # difflib caches what it knows of seq2: set it once
        scored = []
        for i in pool:
            matcher.set_seq1(self.keys[i])
            if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
                ratio = matcher.ratio()
                if ratio >= CUTOFF:
                    scored.append((-ratio, self.names[i]))
        if not scored:
            return []
        scored.sort()
        best = -scored[0][0]
        return [c for r, c in scored if -r >= best - TIE][:n]

    def _pool(self, key: str) -> range | list[int]:
        """Indices of the names worth scoring: lengths that allow the cutoff,
        at most SCAN of them (those sharing the most bigrams with the key)."""
        size = len(key)
        # 2 * min(a, b) / (a + b) >= CUTOFF bounds the other name's length.
        low = int(size * CUTOFF / (2 - CUTOFF))
        high = int(size * (2 - CUTOFF) / CUTOFF) + 1
        start, stop = bisect.bisect_left(self.lengths, low), bisect.bisect_right(self.lengths, high)
        if stop - start <= SCAN:
            return range(start, stop)
        if self.work > BUDGET:
            return []
        grams = self._bigrams()
        shared: Counter[int] = Counter()
        for gram in {key[k : k + 2] for k in range(len(key) - 1)}:
            postings = grams.get(gram, ())
            self.work += len(postings)
            shared.update(postings)
        # Most bigrams shared for their lengths (Dice's coefficient), then closest in length.
        lengths = self.lengths
        inside = (
            (count / (lengths[i] + size), -abs(lengths[i] - size), -i)
            for i, count in shared.items()
            if start <= i < stop
        )
        return [-i for _, _, i in heapq.nlargest(SCAN, inside)]

    def _bigrams(self) -> dict[str, list[int]]:
        if self._grams is None:
            grams: dict[str, list[int]] = {}
            for i, k in enumerate(self.keys):
                for gram in {k[j : j + 2] for j in range(len(k) - 1)}:
                    grams.setdefault(gram, []).append(i)
            self._grams = grams
        return self._grams


_INDEXES: OrderedDict[frozenset[str], NameIndex] = OrderedDict()
_CACHED = 16
_LOCK = threading.Lock()  # front ends may run in several threads


def index_of(names: Iterable[str]) -> NameIndex:
    """The index of a set of names, shared by every lookup among the same names."""
    key = frozenset(names)
    with _LOCK:
        found = _INDEXES.get(key)
        if found is not None:
            _INDEXES.move_to_end(key)
            return found
    found = NameIndex(key)
    with _LOCK:
        _INDEXES[key] = found
        if len(_INDEXES) > _CACHED:
            _INDEXES.popitem(last=False)
    return found
