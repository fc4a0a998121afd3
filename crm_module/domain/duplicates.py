"""Likely duplicates among customers, leads and contacts.

Definitions:

- `company_key`: a company name compared case-, accent-, punctuation- and legal-suffix-insensitively:
  lower case, accents dropped, dots dropped ("S.A." is "sa"), "&" read as "and", everything else but letters, digits and spaces removed, and
  trailing legal forms (``LEGAL_SUFFIXES``: Inc, Corp, Corporation, Ltd, LLC, GmbH, ...) removed one after
  another, so "Acme Corp." and "ACME Corporation" are both ``"acme"``. A name that is nothing but a legal
  form keeps it.
- `email_key`: the address in lower case, stripped. `phone_key`: the digits of an E.164 number.
- Two records are candidates when they share a non-empty key of the same kind; each pair is reported once
  with every kind it shares (``"company"``, ``"email"``, ``"phone"``), ordered by name. A key shared by
  more than ``MAX_GROUP`` records is too common to mean anything (e.g. a help-desk address) and is skipped.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping

LEGAL_SUFFIXES = frozenset(
	{
		"inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "llp", "lp",
		"plc", "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "pty", "pvt",
		"private", "kk", "kg", "se", "group",
	}
)  # fmt: skip
MAX_GROUP = 25
NOT_WORD = re.compile(r"[^a-z0-9 ]+")


def company_key(name: str | None) -> str:
	"""The comparable form of a company name (see the module docstring)."""
	text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode().lower()
	words = NOT_WORD.sub(" ", text.replace(".", "").replace("&", " and ")).split()  # "S.A." is "sa"
	while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
		words.pop()
	return " ".join(words)


def email_key(email: str | None) -> str:
	return str(email or "").strip().lower()


def phone_key(phone: str | None) -> str:
	return "".join(ch for ch in str(phone or "") if ch.isdigit())


def candidate_pairs(
	records: Iterable[Mapping], keys: Mapping[str, Callable[[Mapping], Iterable[str]]]
) -> list[dict]:
	"""``[{"a", "b", "reasons"}]`` for records (each with a ``name``) sharing a key of a kind in `keys`
	(kind -> function giving a record's keys of that kind)."""
	groups: dict[tuple[str, str], set[str]] = defaultdict(set)
	for record in records:
		for kind, keys_of in keys.items():
			for key in keys_of(record):
				if key:
					groups[(kind, key)].add(record["name"])
	return pairs_from_groups((kind, names) for (kind, _key), names in groups.items())


def pairs_from_groups(groups: Iterable[tuple[str, Iterable[str]]]) -> list[dict]:
	"""The pairs of `candidate_pairs` from groups already formed (kind, names sharing one key of that
	kind), e.g. by a database's GROUP BY."""
	pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
	for kind, names in groups:
		ordered = sorted(set(names))
		if len(ordered) < 2 or len(ordered) > MAX_GROUP:
			continue
		for i, first in enumerate(ordered):
			for second in ordered[i + 1 :]:
				pairs[(first, second)].add(kind)
	return [
		{"a": a, "b": b, "reasons": sorted(kinds)}
		for (a, b), kinds in sorted(pairs.items(), key=lambda item: (-len(item[1]), item[0]))
	]
