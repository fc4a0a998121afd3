"""Email and calendar rules that need no framework: address lists, the counterpart of a message, which
matched record an email belongs to, automated senders, meeting end times and plain-text bodies."""

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

# local parts of senders that are machines, never prospects
AUTOMATED_LOCAL_PARTS = frozenset(
	{
		"mailer-daemon",
		"postmaster",
		"noreply",
		"no-reply",
		"no_reply",
		"donotreply",
		"do-not-reply",
		"bounce",
		"bounces",
		"notifications",
		"notification",
	}
)
DEFAULT_MEETING_MINUTES = 30
MAX_BODY_CHARS = 20000
_SIMPLE_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def addresses(*headers: str | None) -> list[str]:
	"""Every email address in `headers` ("Ada <Ada@X.com>, b@y.org"), lower-cased, first occurrence first."""
	found: list[str] = []
	for header in headers:
		if not header:
			continue
		for _name, address in getaddresses([header.replace(";", ",").replace("\n", " ")]):
			address = address.strip().lower()
			if _SIMPLE_EMAIL.match(address) and address not in found:
				found.append(address)
	return found


def counterpart_order(sender: str | None, recipients: str | None, cc: str | None, inbound: bool) -> list[str]:
	"""The addresses of a message, the outside party first: the sender of a received mail, the
	recipients (then cc) of a sent one."""
	if inbound:
		return addresses(sender, recipients, cc)
	return addresses(recipients, cc, sender)


@dataclass(frozen=True)
class Match:
	"""A CRM record an address belongs to."""

	kind: str  # "contact", "customer" or "lead"
	name: str
	customer: str | None = None
	owner: str | None = None


KIND_PRIORITY = ("contact", "customer", "lead")


def best_match(ordered: list[str], matches: dict[str, list[Match]]) -> Match | None:
	"""The record an email is about: the first address (counterpart order) with a match, and for that
	address a contact before a customer before a lead; ties go to the smallest name (stable)."""
	for address in ordered:
		found = matches.get(address) or []
		for kind in KIND_PRIORITY:
			candidates = sorted((m for m in found if m.kind == kind), key=lambda m: m.name)
			if candidates:
				return candidates[0]
	return None


def is_automated_sender(address: str | None) -> bool:
	local = (address or "").split("@", 1)[0].lower()
	return not local or local in AUTOMATED_LOCAL_PARTS or local.startswith(("bounce+", "noreply+"))


def meeting_end(start: datetime, duration_minutes: int | None) -> datetime:
	"""When a meeting or call ends: its duration, else DEFAULT_MEETING_MINUTES."""
	minutes = duration_minutes if duration_minutes and duration_minutes > 0 else DEFAULT_MEETING_MINUTES
	return start + timedelta(minutes=minutes)


def duration_between(start: datetime, end: datetime | None) -> int | None:
	"""Whole minutes from `start` to `end` (None when `end` is missing or not after `start`)."""
	if end is None or end <= start:
		return None
	return int((end - start).total_seconds() // 60)


def text_to_html(text: str | None, limit: int = MAX_BODY_CHARS) -> str:
	"""Plain text as safe HTML for a Text Editor field: escaped, line breaks kept, at most `limit` chars."""
	text = (text or "").replace("\r\n", "\n").strip()
	if len(text) > limit:
		text = text[:limit].rstrip() + " …"
	return "<br>".join(html.escape(line) for line in text.split("\n"))


def lead_name_for(display_name: str | None, address: str) -> str:
	"""A lead's name from the sender's display name, else from the local part of the address."""
	name = (display_name or "").strip().strip('"').strip()
	if name and "@" not in name:
		return name[:140]
	local = address.split("@", 1)[0]
	return " ".join(part.capitalize() for part in re.split(r"[._+-]+", local) if part)[:140] or address
