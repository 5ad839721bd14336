"""An in-memory twin of intake's matcher, for importing thousands of rows at once.

``intake.find_candidates`` asks the database for every buyer it looks up and ranks all
stored company names with rapidfuzz; per row of a 100,000-row sheet that is far too
slow. BuyerIndex holds the same evidence in dictionaries — e-mail, phone, company
e-mail domain, company key — and scores with the same weights, then lets
``intake.pick_match`` decide, so a row attaches to the buyer intake would pick.

Company names are compared fuzzily only with the stored names that could reach the
fuzzy threshold (similarity ≥ 88), found without scanning them all:

- the same key, or the same key written without spaces ("HengXin" / "Heng Xin");
- names whose words, or enough of them, all appear in the row's name (token_set's
  subset case: "Foo Technology" in "Shenzhen Foo Technology"): each stored name is
  filed under its smallest word sets covering 11/14 of it, which a row's words look up;
- names that contain enough of the row's words to cover 11/14 of the row's name,
  a word within one typo of a row's word counting as that word ("Acmee" / "Acme").

Names carrying other numbers than the row's are left out before scoring (they score 0:
"Star Trading 12" is not "Star Trading 123"), and a word of digits is only found as
itself, never one typo away.

Most rows of a large sheet are new buyers: a row that shares no e-mail, phone or
company domain with any buyer and whose name no stored name may reach is answered at
once, and names are filed under their words, covers and typos only when a look-up first
needs them (never, when every name carries numbers of its own).

When an e-mail or phone already gives one strong match, only a buyer of the same name
with a similar contact (92 + 4) could still change the decision, so only same-name
buyers are looked for; with two strong matches the row is ambiguous whatever else.

The candidates found are scored exactly as find_candidates scores them (the 20 best by
token_sort_ratio ≥ 60, then name_similarity). A stored name that shares no word with the
row and differs from it by more than a typo per word is not found; find_candidates'
limit of 20 fuzzy names and 20 contact names is applied among the candidates found,
not among all buyers (it only matters when dozens of buyers have near-identical names).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz

from laop.errors import AmbiguousError
from laop.services.customers import CleanCustomer
from laop.services.intake import (
    BONUS_PER_EXTRA,
    FUZZY_CONTACT_MIN,
    SCORE_CONTACT,
    SCORE_DOMAIN,
    SCORE_EMAIL,
    SCORE_PHONE,
    STRONG_SCORE,
    Candidate,
    company_evidence,
    pick_match,
)
from laop.services.normalize import company_domain, name_numbers

__all__ = ["BuyerIndex", "BuyerRef", "ambiguous_reason"]

# name_similarity ≥ 88 through shared words needs them to cover 0.88/1.12 = 11/14 of a
# name (ratio of a string to its own extension: 2a / (a + b) ≥ 0.88).
COVER = 11 / 14
MAX_WORDS = 8  # names with more words are looked up by their whole word set only
TYPO_MIN_LENGTH = 4  # shorter words must match exactly
CANDIDATE_MIN_SCORE = 50.0  # find_candidates' min_score
CANDIDATE_LIMIT = 10  # find_candidates' limit

DOMAIN_CACHE = 10_000  # e-mails whose company domain is remembered (looked up, then filed)
_UNKNOWN = object()

Ids = int | list[int]  # one buyer id, or several sharing a key


@dataclass(slots=True)
class BuyerRef:
    """What a candidate list shows of a buyer (stands in for a Customer)."""

    id: int
    company: str | None
    contact: str | None


def _covers(words: list[str]) -> list[str]:
    """The smallest sets of ``words`` whose joined length is ≥ COVER of the whole.

    Each set is given as its words (in the order of ``words``) joined by a space; the
    sets come smallest first, in the order of itertools.combinations.
    """
    if len(words) > MAX_WORDS:
        return [" ".join(words)]
    return [" ".join([words[i] for i in combo]) for combo in _cover_sets(tuple(map(len, words)))]


@cache
def _cover_sets(lengths: tuple[int, ...]) -> list[tuple[int, ...]]:
    """_covers as positions: which sets are long enough depends on the lengths alone
    (names of the same word lengths, of which a sheet has a few hundred, share it)."""
    count = len(lengths)
    widths = [length + 1 for length in lengths]  # each word and a space
    need = COVER * (sum(widths) - 1)
    widest = sorted(widths, reverse=True)
    found: list[int] = []
    covers: list[tuple[int, ...]] = []
    for size, subsets in enumerate(_subsets(count), start=1):
        if sum(widest[:size]) - 1 < need:
            continue  # no set of this size is long enough
        for mask, combo in subsets:
            if sum([widths[i] for i in combo]) - 1 < need:
                continue
            for smaller in found:
                if smaller & mask == smaller:
                    break
            else:
                found.append(mask)
                covers.append(combo)
    return covers


@cache
def _subsets(count: int) -> list[list[tuple[int, tuple[int, ...]]]]:
    """The non-empty subsets of range(count) by size: (bit mask, indices) each."""
    return [
        [(sum(1 << i for i in combo), combo) for combo in combinations(range(count), size)]
        for size in range(1, count + 1)
    ]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


class BuyerIndex:
    """E-mails, phones, domains and names of every buyer, stored or being imported."""

    def __init__(self, refs: dict[int, Any] | None = None) -> None:
        """``refs``: the caller's buyers by id (with id, company and contact), kept up
        to date by the caller; without it the index keeps a BuyerRef of each."""
        # Each table maps a key to one buyer id, or to a list of them when several share
        # it: a bare int per key keeps 100,000 buyers in a fraction of the memory.
        self.emails: dict[str, Ids] = {}
        self.phones: dict[str, Ids] = {}
        self.domains: dict[str, Ids] = {}
        self.company_of: dict[int, str] = {}
        self.contact_of: dict[int, str] = {}
        self._own_refs = refs is None
        self.refs: dict[int, Any] = {} if refs is None else refs
        self._by_key: dict[str, Ids] = {}
        self._by_condensed: dict[str, Ids] = {}
        self._by_cover: dict[str, Ids] = {}  # sorted words joined by a space
        self._by_word: dict[str, int | set[int]] = {}
        # The numbers of the names that have some (name_numbers), and the names
        # with none: a row with numbers can only match one of these.
        self._numbers: dict[int, str] = {}
        self._by_numbers: dict[str, Ids] = {}
        self._plain: set[int] = set()
        # One-deletion variants of every word (by hash), to find a word again despite a
        # typo (SymSpell's trick); a hash collision only adds a candidate to score.
        self._typos: dict[int, str | tuple[str, ...]] = {}
        # _similar's answers, valid while no word is filed under its typos (the
        # vocabulary of names soon stops growing, while names keep coming).
        self._similar_to: dict[str, list[str]] = {}
        self._domain_of: dict[str, str | None] = {}
        # The last _covers answer: a created row's name is looked up, then filed.
        self._last_covers: tuple[list[str], list[str]] = ([], [])
        # The last name_numbers answer, for the same reason.
        self._last_numbers: tuple[str, str] = ("", "")
        # Names given to set_names and not yet filed under their keys, words, covers
        # and typos, in the order given: they are filed when a look-up first needs
        # those tables (see _file_names).
        self._unfiled: list[tuple[int, str]] = []

    # ------------------------------------------------------------------ filling

    def add_contact(self, customer_id: int, kind: str, value: str) -> str | None:
        """File an e-mail or phone (E.164) of a buyer; returns its company domain.

        The company domain is an e-mail's domain unless it is free mail; None for a
        phone.
        """
        if kind == "email":
            _file(self.emails, value, customer_id)
            domain = self.company_domain(value)
            if domain:
                _file(self.domains, domain, customer_id)
            return domain
        _file(self.phones, value, customer_id)
        return None

    def company_domain(self, email: str) -> str | None:
        """The e-mail's domain, None for free mail or no domain (remembered a while)."""
        found = self._domain_of.get(email, _UNKNOWN)
        if found is _UNKNOWN:
            if len(self._domain_of) >= DOMAIN_CACHE:
                self._domain_of.clear()
            found = self._domain_of[email] = company_domain(email)
        return found  # type: ignore[return-value]

    def has_contact(self, customer_id: int, kind: str, value: str) -> bool:
        """Whether the buyer already has this e-mail or phone."""
        return customer_id in _ids(self.emails if kind == "email" else self.phones, value)

    def set_names(
        self,
        customer_id: int,
        *,
        company: str | None,
        contact: str | None,
        company_key: str,
        contact_key: str,
    ) -> None:
        """File a buyer's names (again, after an empty one was filled)."""
        if self._own_refs:
            self.refs[customer_id] = BuyerRef(customer_id, company, contact)
        self.contact_of[customer_id] = contact_key
        if company_key == self.company_of.get(customer_id):
            return
        self.company_of[customer_id] = company_key
        if not company_key:
            return
        numbers = self._numbers_of(company_key)
        if numbers:
            self._numbers[customer_id] = numbers
            _file(self._by_numbers, numbers, customer_id)
        else:
            self._plain.add(customer_id)
        self._unfiled.append((customer_id, company_key))

    def file_new(
        self,
        customer_id: int,
        company: str | None,
        contact: str | None,
        company_key: str,
        contact_key: str,
        emails: list[str],
        domains: Sequence[str | None],
        phones: list[tuple[str, bool]],
    ) -> None:
        """File a buyer being created: set_names, then add_contact of each e-mail
        (``domains``: their company domains) and phone, in one call."""
        self.set_names(
            customer_id,
            company=company,
            contact=contact,
            company_key=company_key,
            contact_key=contact_key,
        )
        known_emails, known_domains = self.emails, self.domains
        for email, domain in zip(emails, domains):  # noqa: B905 (one per e-mail; a keyword makes zip slow)
            _file(known_emails, email, customer_id)
            if domain:
                _file(known_domains, domain, customer_id)
        known_phones = self.phones
        for phone, _whatsapp in phones:
            _file(known_phones, phone, customer_id)

    def _file_names(self) -> None:
        """File the names set since the last look-up under their keys, words and typos.

        Only _company_ids reads these tables, and only past its first test (a row's
        numbers that no stored name can share), which a sheet of numbered names never
        passes: its names are then never filed at all. Filed in the order set_names
        got them, so the tables are what filing each at once would have made.
        """
        unfiled, self._unfiled = self._unfiled, []
        for customer_id, company_key in unfiled:
            words = sorted(set(company_key.split()))
            _file(self._by_key, company_key, customer_id)
            _file(self._by_condensed, "".join(company_key.split()), customer_id)
            for cover in self._covers(words):
                _file(self._by_cover, cover, customer_id)
            for word in words:
                known = self._by_word.get(word)
                if known is None:
                    self._by_word[word] = customer_id
                    if len(word) >= TYPO_MIN_LENGTH - 1 and not word.isdigit():
                        self._file_typos(word)
                elif isinstance(known, int):
                    if known != customer_id:
                        self._by_word[word] = {known, customer_id}
                else:
                    known.add(customer_id)

    def _numbers_of(self, company_key: str) -> str:
        last_key, numbers = self._last_numbers
        if company_key != last_key:
            numbers = name_numbers(company_key)
            self._last_numbers = (company_key, numbers)
        return numbers

    def _file_typos(self, word: str) -> None:
        """File a new word under its one-deletion variants.

        The stored words filed under one of them are those one typo from it: their
        _similar answers now lack it, and are forgotten (only stored words' answers
        are kept, and a stored word is filed under all its variants).
        """
        cached, typos = self._similar_to, self._typos
        for variant in _deletions(word):
            key = hash(variant)
            near = typos.get(key) if cached else None
            if near is not None:
                for other in (near,) if isinstance(near, str) else near:
                    cached.pop(other, None)
            self._file_typo(key, word)

    def _file_typo(self, variant: int, word: str) -> None:
        known = self._typos.get(variant)
        if known is None:
            self._typos[variant] = word
        elif isinstance(known, str):
            if known != word:
                self._typos[variant] = (known, word)
        elif word not in known:
            self._typos[variant] = (*known, word)

    def _covers(self, words: list[str]) -> list[str]:
        last_words, last = self._last_covers
        if words != last_words:
            last = _covers(words)
            self._last_covers = (words, last)
        return last

    def _holders(self, words: list[str]) -> set[int]:
        """The buyers whose name has one of ``words`` (the stored set itself for one)."""
        if len(words) == 1:
            known = self._by_word[words[0]]
            return {known} if isinstance(known, int) else known
        found: set[int] = set()
        for word in words:
            known = self._by_word[word]
            if isinstance(known, int):
                found.add(known)
            else:
                found |= known
        return found

    def _count(self, words: list[str]) -> int:
        """How many buyers _holders(words) would give, at most (nothing is built)."""
        total = 0
        for word in words:
            known = self._by_word[word]
            total += 1 if isinstance(known, int) else len(known)
        return total

    def _holding(self, ids: set[int], words: list[str]) -> set[int]:
        """Those of ``ids`` whose name has one of ``words`` (sets intersected in C)."""
        found: set[int] = set()
        for word in words:
            known = self._by_word[word]
            if isinstance(known, int):
                if known in ids:
                    found.add(known)
            else:
                found |= ids & known  # walks the smaller of the two
        return found

    def _sharing(self, groups: list[list[str]], numbers: str) -> set[int]:
        """Buyers whose name has a word of every group (and no other numbers).

        Starts from the smallest group (or the buyers with the row's numbers or none,
        when fewer) and filters by membership, so a word that thousands of names share
        costs lookups for the few candidates left, not a copy of its thousands.
        """
        ranked = sorted(groups, key=self._count)
        if numbers:
            same = _ids(self._by_numbers, numbers)
            if len(same) + len(self._plain) < self._count(ranked[0]):
                found = self._plain.union(same)
                for group in ranked:
                    found = self._holding(found, group)
                return found
        found = set(self._holders(ranked[0]))
        for group in ranked[1:]:
            if not found:
                break
            found = self._holding(found, group)
        return found

    # ------------------------------------------------------------------ lookup

    def candidates(self, data: CleanCustomer, *, company_key: str, contact_key: str) -> list[Any]:
        """The buyers find_candidates would list for ``data``, best first."""
        evidence: dict[int, dict[str, tuple[float, str]]] = {}

        def note(customer_id: int, kind: str, score: float, reason: str) -> None:
            kinds = evidence.setdefault(customer_id, {})
            if kind not in kinds or kinds[kind][0] < score:
                kinds[kind] = (score, reason)

        for email in data.emails:
            for cid in _ids(self.emails, email):
                note(cid, "email", SCORE_EMAIL, f"same e-mail {email}")
        for phone, _whatsapp in data.phones:
            for cid in _ids(self.phones, phone):
                note(cid, "phone", SCORE_PHONE, f"same phone {phone}")
        domains = {self.company_domain(e) for e in data.emails}
        domains.discard(None)
        for domain in sorted(domains):  # type: ignore[type-var]
            for cid in _ids(self.domains, domain):  # type: ignore[arg-type]
                note(cid, "domain", SCORE_DOMAIN, f"same e-mail domain {domain}")
        if company_key:
            self._company_evidence(company_key, set(evidence), note)
        self._contact_evidence(contact_key, evidence, note)
        if company_key:
            strong = sum(1 for kinds in evidence.values() if _score(kinds) >= STRONG_SCORE)
            # A buyer known only by its name scores at most 92 + 4 (same name, similar
            # contact): with one strong match already, only a same-name buyer can change
            # the decision; with two, nothing can.
            if strong < 2:
                known = set(evidence)
                found = self._company_ids(company_key, similar=strong == 0) - known
                self._company_evidence(company_key, found, note)
                self._contact_evidence(contact_key, evidence, note, only=found)
        ranked = []
        for cid, kinds in evidence.items():
            score = _score(kinds)
            if score >= CANDIDATE_MIN_SCORE:
                reasons = [r for _, r in sorted(kinds.values(), key=lambda x: -x[0])]
                ranked.append(Candidate(self.refs[cid], round(score, 1), reasons))  # type: ignore[arg-type]
        ranked.sort(key=lambda c: (-c.score, c.customer.id))
        return ranked[:CANDIDATE_LIMIT]

    def match(
        self,
        data: CleanCustomer,
        *,
        company_key: str,
        contact_key: str,
        domains: tuple[str | None, ...] | None = None,
        numbers: str | None = None,
    ) -> int | None:
        """The id of the one buyer ``data`` describes, None for a new buyer.

        ``domains`` (the company domain of each e-mail) and ``numbers`` (of the company
        key), when the caller has them, are taken instead of being worked out here:
        an import works them out where it cleans its rows. Raises AmbiguousError (with
        the plausible candidates) as pick_match does.
        """
        if domains is not None:
            known = self._domain_of
            if len(known) + len(domains) > DOMAIN_CACHE:
                known.clear()
            for email, domain in zip(data.emails, domains, strict=True):
                known[email] = domain  # (update() of a zip first looks for its keys())
        else:
            domains = tuple(map(self.company_domain, data.emails))
        if not self.may_know(data.emails, data.phones, company_key, domains, numbers):
            return None  # candidates() would be empty
        found = pick_match(self.candidates(data, company_key=company_key, contact_key=contact_key))
        return None if found is None else found.id

    def may_know(
        self,
        emails: list[str],
        phones: list[tuple[str, bool]],
        company_key: str,
        domains: Sequence[str | None],
        numbers: str | None,
    ) -> bool:
        """False when no buyer can give a row any evidence (candidates() is empty).

        ``domains``: the company domain of each e-mail; ``numbers``: the company key's
        (name_numbers), None when not known. Most rows of a sheet describe new buyers:
        this asks the tables candidates() would ask first, in a few lookups, and stops
        at the first that knows something. Without a shared e-mail, phone or company
        domain, only a name can give evidence (a similar contact only adds to other
        evidence), and it gives none when no stored name may reach the fuzzy threshold.
        """
        if numbers is not None:
            self._last_numbers = (company_key, numbers)
        known_emails, known_domains = self.emails, self.domains
        for email, domain in zip(emails, domains):  # noqa: B905 (one per e-mail; a keyword makes zip slow)
            if email in known_emails or (domain is not None and domain in known_domains):
                return True
        known_phones = self.phones
        for phone, _whatsapp in phones:
            if phone in known_phones:
                return True
        return bool(company_key) and bool(self._company_ids(company_key, similar=True))

    def _company_evidence(self, key: str, ids: set[int], note: Any) -> None:
        choices = {cid: self.company_of[cid] for cid in ids if self.company_of.get(cid)}
        if choices:
            company_evidence(key, choices, note)  # scored exactly as find_candidates does

    def _contact_evidence(
        self,
        contact_key: str,
        evidence: dict[int, Any],
        note: Any,
        only: set[int] | None = None,
    ) -> None:
        # A similar contact alone (70) never makes a match; it only adds to other evidence.
        if len(contact_key.split()) < 2:
            return
        for cid in list(evidence) if only is None else [c for c in only if c in evidence]:
            stored = self.contact_of.get(cid, "")
            if len(stored.split()) >= 2 and (
                fuzz.token_sort_ratio(contact_key, stored) >= FUZZY_CONTACT_MIN
            ):
                note(cid, "contact", SCORE_CONTACT, "similar contact name")

    def _company_ids(self, key: str, *, similar: bool) -> set[int]:
        """Stored names that may reach similarity 100 (and 88, when ``similar``)."""
        numbers = self._numbers_of(key)
        if numbers and not self._plain and numbers not in self._by_numbers:
            # Only names with the same numbers or none could be kept below: there are
            # none (as when every name of a sheet carries a number of its own).
            return set()
        if self._unfiled:
            self._file_names()
        ids = set(_ids(self._by_key, key))
        ids.update(_ids(self._by_condensed, "".join(key.split())))
        words = sorted(set(key.split()))
        # Stored names made (mostly) of the row's words. A cover is filed with its
        # words, so only the row's words some stored name has can make one up.
        if len(words) <= MAX_WORDS:
            by_word, by_cover = self._by_word, self._by_cover
            present = [w for w in words if w in by_word]
            for subsets in _subsets(len(present)):
                for _mask, combo in subsets:
                    known = by_cover.get(" ".join([present[i] for i in combo]))
                    if known is None:
                        continue
                    if isinstance(known, int):
                        ids.add(known)
                    else:
                        ids.update(known)
        else:
            ids.update(_ids(self._by_cover, " ".join(words)))
        # Stored names holding all the row's words, or (``similar``) enough of them,
        # a word one typo away counting as the word.
        covers = self._covers(words) if similar else [" ".join(words)]
        for cover in covers:
            groups = [self._similar(w) if similar else self._exact(w) for w in cover.split()]
            if all(groups):
                ids.update(self._sharing(groups, numbers))
        if numbers:
            known = self._numbers
            return {cid for cid in ids if known.get(cid, numbers) == numbers}
        return ids

    def _exact(self, word: str) -> list[str]:
        return [word] if word in self._by_word else []

    def _similar(self, word: str) -> list[str]:
        """The stored words equal to ``word`` or one typo from it (digits: only itself)."""
        if len(word) < TYPO_MIN_LENGTH or word.isdigit():
            return [word] if word in self._by_word else []
        known = self._similar_to.get(word)
        if known is not None:
            return known
        # A stored word of this length is filed under its typos too, so its answer
        # changes only when a word one typo from it is filed (_file_typos forgets it
        # then). Other words' answers are not kept: one filed later changes them.
        stored = word in self._by_word
        similar = {word} if stored else set()
        for variant in _deletions(word):
            found = self._typos.get(hash(variant))
            if found:
                similar.update((found,) if isinstance(found, str) else found)
        known = list(similar)
        if stored:
            self._similar_to[word] = known
        return known


def _score(kinds: dict[str, tuple[float, str]]) -> float:
    # find_candidates' formula: the strongest evidence, +4 for each further kind.
    scores = sorted((s for s, _ in kinds.values()), reverse=True)
    return min(100.0, scores[0] + BONUS_PER_EXTRA * (len(scores) - 1))


def _file(table: dict[str, Ids], key: str, customer_id: int) -> None:
    known = table.get(key)
    if known is None:
        table[key] = customer_id
    elif isinstance(known, int):
        if known != customer_id:
            table[key] = [known, customer_id]
    elif customer_id not in known:
        known.append(customer_id)


def _ids(table: dict[str, Ids], key: str) -> tuple[int, ...] | list[int]:
    known = table.get(key)
    if known is None:
        return ()
    return (known,) if isinstance(known, int) else known


def ambiguous_reason(exc: AmbiguousError) -> str:
    """The row error for a buyer several stored buyers could be."""
    listed = ", ".join(
        f"{c.customer.id} {c.customer.company or c.customer.contact or ''}".strip()
        for c in exc.candidates[:5]
    )
    return f"ambiguous: matches {listed}; fix the row or use --on-duplicate new"
