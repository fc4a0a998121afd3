"""Email addresses, phone numbers and primary flags of contact points.

Definitions:

- A normalized email is stripped, with its domain lower-cased (the local part keeps its case). It is
  valid when it matches a pragmatic pattern: a local part of ``A-Z a-z 0-9 . ! # $ % & ' * + / = ? ^ _ `
  { | } ~ -`` without leading, trailing or doubled dots (at most 64 characters), ``@``, and a domain of
  at least two dot-separated labels of letters, digits and inner hyphens ending in a letter label of
  two or more characters; at most 254 characters in all.
- A normalized phone number is E.164 (``+14155550123``) as parsed and validated by ``phonenumbers``.
  A number starting with ``+`` carries its own country; otherwise ``country_code`` decides, given as
  a calling code (``"+44"`` or ``"44"``) or a region (``"GB"``), falling back to ``default_region``.
- Among a document's child rows at most one is primary; when rows exist and none is primary, the first
  one becomes primary.
"""

import re
from collections.abc import Iterable, Mapping

import phonenumbers

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LOCAL_CHARS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_RE = re.compile(rf"^{_LOCAL_CHARS}(?:\.{_LOCAL_CHARS})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")


def normalize_email(email: str | None) -> str:
	"""Return the normalized email; raise ``ValueError`` naming ``email`` when it is not valid."""
	text = (email or "").strip() if isinstance(email, str | None) else None
	if text is None:
		raise ValueError(f"email: {email!r} is not a valid email address")
	local, at, domain = text.rpartition("@")
	candidate = f"{local}@{domain.lower()}" if at else text
	if len(candidate) > 254 or len(local) > 64 or not EMAIL_RE.match(candidate):
		raise ValueError(f"email: '{text}' is not a valid email address")
	return candidate


def region_for(country_code: str | None, default_region: str = "US") -> str:
	"""Return the region (``"GB"``) for a calling code (``"+44"``, ``"44"``) or region; ``default_region``
	when ``country_code`` is empty. Raises ``ValueError`` naming ``country_code``."""
	code = (country_code or "").strip()
	if not code:
		return default_region
	digits = code.lstrip("+").strip()
	if digits.isdigit():
		region = phonenumbers.region_code_for_country_code(int(digits))
		if region == phonenumbers.UNKNOWN_REGION:
			raise ValueError(f"country_code: unknown calling code '{code}'")
		if region == "001":
			return default_region
		return region
	region = code.upper()
	if region not in phonenumbers.SUPPORTED_REGIONS:
		raise ValueError(f"country_code: unknown country '{code}'")
	return region


def normalize_phone(number: str | None, country_code: str | None = None, default_region: str = "US") -> str:
	"""Return the number in E.164; raise ``ValueError`` naming ``phone`` when it is not a valid number."""
	text = (number or "").strip() if isinstance(number, str | None) else str(number)
	region = region_for(country_code, default_region)
	code = (country_code or "").strip().lstrip("+")
	if text and not text.startswith("+") and code.isdigit() and text.startswith("00" + code):
		text = "+" + text[2:]
	try:
		parsed = phonenumbers.parse(text, region)
	except phonenumbers.NumberParseException:
		raise ValueError(f"phone: '{text}' is not a valid phone number")
	if code.isdigit() and not text.startswith("+") and parsed.country_code != int(code):
		raise ValueError(f"phone: '{text}' is not a valid phone number for calling code +{code}")
	if not phonenumbers.is_valid_number(parsed):
		raise ValueError(f"phone: '{text}' is not a valid phone number")
	return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def single_primary(rows: Iterable[Mapping], key: str = "is_primary", label: str = "row") -> list[dict]:
	"""Return copies of ``rows`` with ``key`` set to 1 on exactly one row (the first when none was) and 0
	on the others; raise ``ValueError`` when several rows are primary."""
	out = [dict(r) for r in rows]
	primaries = [i for i, r in enumerate(out) if r.get(key) and r.get(key) not in ("0", "false", "False")]
	if len(primaries) > 1:
		raise ValueError(f"{key}: Only one primary {label} is allowed")
	chosen = primaries[0] if primaries else 0
	for i, r in enumerate(out):
		r[key] = 1 if i == chosen else 0
	return out
