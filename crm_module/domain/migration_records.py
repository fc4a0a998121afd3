"""Migrations from ERPNext's CRM and from Frappe CRM (issue 12): names, contact points, the create /
update / skip decision and the mapping report. Pure Python; re-exported by `migration_map`."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CREATE, UPDATE, SKIP = "create", "update", "skip"


# ------------------------------------------------------------------ people and names


def pick_owner(candidates: Iterable[str | None], enabled_users: set[str]) -> tuple[str | None, str | None]:
	"""(owner, note): the first candidate that is an enabled user; with candidates but none enabled, no
	owner and a note naming them."""
	names = [c for c in dict.fromkeys(candidates) if c and c not in ("Administrator", "Guest")]
	for name in names:
		if name in enabled_users:
			return name, None
	if names:
		return None, "owner {} is not an enabled user: not mapped".format(", ".join(names))
	return None, None


def assignees(assign_json: str | list | None) -> list[str]:
	"""The users of a `_assign` column (JSON list)."""
	if not assign_json:
		return []
	if isinstance(assign_json, list):
		return [a for a in assign_json if a]
	try:
		value = json.loads(assign_json)
	except ValueError:
		return []
	return [a for a in value if isinstance(a, str) and a] if isinstance(value, list) else []


def person_name(*parts: str | None) -> str:
	return " ".join(p.strip() for p in parts if p and p.strip())


def lead_name(
	lead_name: str | None, first: str | None, last: str | None, company: str | None, email: str | None
) -> str | None:
	"""A lead's name: its name, else first + last name, else its company, else the email's local part."""
	name = (lead_name or "").strip() or person_name(first, last) or (company or "").strip()
	if not name and email and "@" in email:
		name = email.split("@")[0].strip()
	return name or None


# ------------------------------------------------------------------ customers made from a person

COMPANY, INDIVIDUAL = "Company", "Individual"  # CRM Customer Profile.customer_type


def as_customer(source_doctype: str) -> str:
	"""The source key (CRM Source Link.source_doctype) of a customer profile made from a person record of
	`source_doctype` (a Contact or a lead): the record itself keeps its own link (to a contact or a lead),
	and a source record links one target."""
	return f"{source_doctype} (as customer)"


def person_customer(
	first: str | None, last: str | None, full_name: str | None, email: str | None
) -> tuple[str, str] | None:
	"""(company_name, customer_type) of the customer made from a contact: the person's first + last name,
	else the full name, else the email's local part; None when there is none of them."""
	name = person_name(first, last) or (full_name or "").strip()
	if not name and email and "@" in email:
		name = email.split("@")[0].strip()
	return (name, INDIVIDUAL) if name else None


def lead_customer(
	company: str | None, lead_name_: str | None, first: str | None, last: str | None, email: str | None
) -> tuple[str, str] | None:
	"""(company_name, customer_type) of the customer made from a lead: its company when it names one
	(Company), else the person (Individual) named as `lead_name` names a lead; None without any name."""
	if (company or "").strip():
		return company.strip(), COMPANY
	name = lead_name(lead_name_, first, last, None, email)
	return (name, INDIVIDUAL) if name else None


def customer_type(value: str | None) -> str:
	"""ERPNext's Customer.customer_type (Company / Individual / Partnership) -> ours (Company / Individual)."""
	return INDIVIDUAL if value == INDIVIDUAL else COMPANY


def lifecycle_stage(won: bool) -> str:
	"""A migrated customer's lifecycle stage: Customer once it won a deal, else Prospect."""
	return "Customer" if won else "Prospect"


def split_name(full_name: str | None) -> tuple[str | None, str | None]:
	first, _sep, last = (full_name or "").strip().partition(" ")
	return (first or None), (last.strip() or None)


def duration_minutes(seconds) -> int:
	"""A call's duration in whole minutes, rounded half up (a started minute of 30 s or more counts)."""
	try:
		value = float(seconds or 0)
	except (TypeError, ValueError):
		return 0
	return int(Decimal(str(max(value, 0) / 60)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def call_subject(call_type: str | None, caller: str | None, callee: str | None) -> str:
	if call_type == "Incoming":
		return f"Incoming call from {caller or '?'}"
	return f"Outgoing call to {callee or '?'}"


def notes_text(rows: Iterable[Mapping]) -> str | None:
	"""ERPNext's CRM Note rows (note, added_by, added_on) as plain text, one paragraph each."""
	parts = []
	for row in rows:
		text = (row.get("note") or "").strip()
		if text:
			who = " ".join(str(v) for v in (row.get("added_by"), row.get("added_on")) if v)
			parts.append(f"{text}\n({who})" if who else text)
	return "\n\n".join(parts) or None


def unique_points(values: Iterable[tuple[str, bool]], key=lambda v: v.lower()) -> list[tuple[str, bool]]:
	"""Contact points without repeats (first wins; the primary flag of a repeat carries over), at most one
	primary."""
	seen: dict[str, int] = {}
	out: list[list] = []
	for value, primary in values:
		value = (value or "").strip()
		if not value:
			continue
		k = key(value)
		if k in seen:
			out[seen[k]][1] = out[seen[k]][1] or bool(primary)
			continue
		seen[k] = len(out)
		out.append([value, bool(primary)])
	first_primary = next((i for i, row in enumerate(out) if row[1]), 0 if out else None)
	return [(value, i == first_primary) for i, (value, _primary) in enumerate(out)]


# ------------------------------------------------------------------ idempotence


def decide(stored_modified: datetime | None, source_modified: datetime, target_exists: bool) -> str:
	"""CREATE without a (living) target, UPDATE when the source changed since it was migrated, else SKIP."""
	if stored_modified is None or not target_exists:
		return CREATE
	if source_modified > stored_modified:
		return UPDATE
	return SKIP


# ------------------------------------------------------------------ the report


@dataclass
class Section:
	created: int = 0
	updated: int = 0
	joined: int = 0  # the same person / record as one already there: linked to it, nothing written
	unchanged: int = 0
	problems: list[str] = field(default_factory=list)
	notes: list[str] = field(default_factory=list)

	@property
	def skipped(self) -> int:
		return self.unchanged + len(self.problems)


@dataclass
class MigrationReport:
	"""Per source doctype: created / updated / skipped (unchanged + refused, each refused with its reason)
	and notes about what was left out of records that were migrated."""

	source: str
	dry_run: bool = False
	sections: dict[str, Section] = field(default_factory=dict)

	def section(self, doctype: str) -> Section:
		return self.sections.setdefault(doctype, Section())

	def created(self, doctype: str) -> None:
		self.section(doctype).created += 1

	def updated(self, doctype: str) -> None:
		self.section(doctype).updated += 1

	def joined(self, doctype: str) -> None:
		self.section(doctype).joined += 1

	def unchanged(self, doctype: str) -> None:
		self.section(doctype).unchanged += 1

	def skipped(self, doctype: str, record: str, reason: str) -> None:
		self.section(doctype).problems.append(f"{doctype} {record}: {reason}")

	def note(self, doctype: str, record: str, text: str) -> None:
		self.section(doctype).notes.append(f"{doctype} {record}: {text}")

	def counts(self) -> dict[str, dict[str, int]]:
		return {
			doctype: {
				"created": s.created,
				"updated": s.updated,
				"joined": s.joined,
				"skipped": s.skipped,
				"unchanged": s.unchanged,
				"refused": len(s.problems),
			}
			for doctype, s in self.sections.items()
		}

	def totals(self) -> dict[str, int]:
		keys = ("created", "updated", "joined", "skipped", "unchanged", "refused")
		return {k: sum(c[k] for c in self.counts().values()) for k in keys}

	def as_text(self) -> str:
		"""A summary line per source doctype and the total first, then each refused record with its reason
		and each note, per source doctype."""
		title = f"Migration from {self.source}" + (" (dry run: nothing was saved)" if self.dry_run else "")
		lines = [title, "=" * len(title)]
		for doctype, s in self.sections.items():
			lines.append(
				f"{doctype}: {summary(s.created, s.updated, s.joined, s.unchanged, len(s.problems))}"
			)
		t = self.totals()
		lines.append(
			f"Total: {summary(t['created'], t['updated'], t['joined'], t['unchanged'], t['refused'])}"
		)
		for doctype, s in self.sections.items():
			if s.problems or s.notes:
				lines.extend(["", f"{doctype}:"])
				lines.extend(f"  - refused: {p}" for p in s.problems)
				lines.extend(f"  - note: {n}" for n in s.notes)
		return "\n".join(lines)


def summary(created: int, updated: int, joined: int, unchanged: int, refused: int) -> str:
	"""'created 1, updated 0, skipped 2 (1 unchanged since the last migration, 1 refused)'."""
	text = f"created {created}, updated {updated}, skipped {unchanged + refused}"
	parts = [
		f"{unchanged} unchanged since the last migration" if unchanged else "",
		f"{refused} refused" if refused else "",
	]
	if any(parts):
		text += " ({})".format(", ".join(p for p in parts if p))
	if joined:
		text += f", joined {joined} to a record already there (the same person)"
	return text
