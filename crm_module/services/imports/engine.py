"""The set-based import engine: rows of a Data Import template (dicts by fieldname) in, records out,
every row held to the rules of a form save, checked for the whole file at once.

	result = import_rows("CRM Sales Lead", rows, key="email", update_existing=False, dry_run=False)

1. Rows are matched to stored records on `key` ("email", "external_id" when the doctype has that
   field, or "name"): a matched row updates its record (`update_existing`, only the fields that differ)
   or is left alone, so the same file twice creates nothing new. A key repeated in the file is refused.
2. Each row is checked without the database (`domain/import_rows.py`: types, required fields, select
   values, lengths, email syntax, E.164 phones, the controller's own rules and derived fields), then for
   the whole file with one query per kind of check (`checks.py`: link targets, owners who are enabled
   users with a CRM role, the contact's / opportunity's customer, the duplicate guard against stored
   records and within the file, one primary contact per customer, territory routing).
3. A refused row stores nothing and is reported as (row, field, reason). The accepted rows are written
   in batches (`batch_size`, default 2,000): names reserved from the doctype's naming series in one
   statement, multi-row inserts, then the after-save effects set-based (`writes.py`), and one commit per
   batch, so an interrupted import leaves whole batches only (`ImportInterrupted` says how far it got).
   `dry_run` does every check and writes nothing.
4. The dashboard cache is dropped once at the end.

Leads, interactions, customers and contacts (with their email and phone rows) are supported. Only CRM
Managers and System Managers import (`require_importer`).
"""

from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import get_fullname, now_datetime
from frappe.utils.html_utils import sanitize_html

from crm_module import constants
from crm_module.access.users import is_unrestricted
from crm_module.domain import import_doctype_rules as doctype_rules
from crm_module.domain import import_rows as row_rules
from crm_module.domain.contact_points import normalize_email
from crm_module.domain.import_rows import Checked, Refusal
from crm_module.services import bulk
from crm_module.services.contact_points import default_region
from crm_module.services.imports import checks, writes
from crm_module.services.imports.specs import Spec, as_field, spec_for, writable_fields
from crm_module.services.reporting import cache as metrics_cache

KEYS = ("email", "external_id", "name")
BATCH = 2000
NOT_SANITIZED = {"Code", "Attach", "Attach Image", "Password", "JSON"}


@dataclass
class ImportResult:
	doctype: str
	key: str
	dry_run: bool = False
	created: list[str] = field(default_factory=list)
	updated: list[str] = field(default_factory=list)
	unchanged: list[str] = field(default_factory=list)
	refused: list[Refusal] = field(default_factory=list)
	warnings: list[Refusal] = field(default_factory=list)
	to_create: int = 0  # rows that pass (a dry run creates none of them)
	to_update: int = 0
	batches: int = 0

	def counts(self) -> dict:
		return {
			"created": len(self.created),
			"updated": len(self.updated),
			"unchanged": len(self.unchanged),
			"refused": len(self.refused),
			"warnings": len(self.warnings),
			"to_create": self.to_create,
			"to_update": self.to_update,
		}

	def as_text(self) -> str:
		counts = self.counts()
		if self.dry_run:
			head = _(
				"{0} (dry run, nothing written): would create {1}, would update {2}, unchanged {3}, refused {4}"
			)
			head = head.format(
				self.doctype, self.to_create, self.to_update, counts["unchanged"], counts["refused"]
			)
		else:
			head = _("{0}: created {1}, updated {2}, unchanged {3}, refused {4}").format(
				self.doctype, counts["created"], counts["updated"], counts["unchanged"], counts["refused"]
			)
		lines = [head]
		lines += [_("refused {0}").format(r.as_text()) for r in self.refused]
		lines += [_("warning {0}").format(r.as_text()) for r in self.warnings]
		return "\n".join(lines)


class ImportInterrupted(Exception):
	"""A batch failed: it was rolled back; the batches before it are stored (`result`)."""

	def __init__(self, result: ImportResult, batch: int, error: Exception):
		super().__init__(f"batch {batch} failed and was rolled back ({error!r}); earlier batches are stored")
		self.result, self.batch, self.error = result, batch, error


def require_importer(user: str | None = None) -> None:
	"""Only CRM Managers and System Managers (and Administrator) import CRM records."""
	if not is_unrestricted(user or frappe.session.user):
		frappe.throw(
			_("Only a CRM Manager or System Manager can import CRM records"),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)


# ------------------------------------------------------------------ entry


def import_rows(
	doctype: str,
	rows: list[dict],
	key: str | None = None,
	update_existing: bool = False,
	dry_run: bool = False,
	batch_size: int = BATCH,
	check_permission: bool = True,
) -> ImportResult:
	"""Import `rows` (dicts by fieldname; `_row` gives a row's number in its file, else its position
	from 1) into `doctype`. See the module docstring."""
	spec = spec_for(doctype)
	if check_permission:
		require_importer()
	key = key or spec.default_key
	key_column = key_column_of(spec, key)
	result = ImportResult(doctype, key, dry_run=dry_run)
	fields = writable_fields(doctype)
	now, user, region = now_datetime(), frappe.session.user, default_region()
	numbered = [(int(row.get("_row") or i), row) for i, row in enumerate(rows, start=1)]
	form_defaults = new_doc_defaults(doctype, fields)

	matched, key_refusals = match(spec, key, key_column, numbered)
	checked: list[Checked] = []
	for number, row in numbered:
		item = row_rules.check_row(number, row, fields, now, defaults=number not in matched)
		item.refusals += key_refusals.get(number, [])
		if number not in matched:
			for fieldname, value in form_defaults.items():
				if item.values.get(fieldname) is None:
					item.values[fieldname] = value
		if spec.children:
			check_children(spec, item, row, now)
		frappe_field_rules(item, fields)
		doctype_rules.RULES[doctype](item, region, number not in matched)
		checked.append(item)
	check_set(spec, checked, matched, user, result)

	new = [c for c in checked if c.ok and c.row not in matched]
	changes, previous_owners = diff(spec, [c for c in checked if c.ok and c.row in matched], matched)
	result.refused = sorted((r for c in checked for r in c.refusals), key=lambda r: r.row)
	result.to_create = len(new)
	result.to_update = len(changes) if update_existing else 0
	unchanged = [matched[c.row] for c in checked if c.ok and c.row in matched]
	result.unchanged = [name for name in unchanged if not (update_existing and name in changes)]
	if dry_run:
		return result

	for start in range(0, len(new), batch_size):
		records = [c.values for c in new[start : start + batch_size]]
		result.created += in_batch(result, lambda records=records: writes.insert_batch(spec, records))
	if update_existing and changes:
		names = list(changes)
		for start in range(0, len(names), batch_size):
			part = {name: changes[name] for name in names[start : start + batch_size]}
			owners = {name: previous_owners[name] for name in part if name in previous_owners}
			in_batch(result, lambda part=part, owners=owners: writes.update_batch(spec, part, owners))
			result.updated += list(part)
	metrics_cache.invalidate()  # once for the whole import
	return result


def in_batch(result: ImportResult, write):
	"""Run one batch's writes and commit them; on any error roll the batch back and stop."""
	result.batches += 1
	try:
		out = write()
		frappe.db.commit()
		return out or []
	except Exception as error:
		frappe.db.rollback()
		raise ImportInterrupted(result, result.batches, error) from error


def new_doc_defaults(doctype: str, fields: dict) -> dict:
	"""What a new document starts with besides the DocType defaults (`frappe.new_doc`: a Select without
	default takes its first option, user defaults), for the fields a save would fill that way."""
	values = frappe.new_doc(doctype, as_dict=True)
	return {
		fieldname: value
		for fieldname, value in values.items()
		if fieldname in fields
		and value is not None
		and fields[fieldname].fieldtype not in ("Date", "Datetime", "Int", "Check")
		and not fields[fieldname].default
	}


# ------------------------------------------------------------------ keys


def key_column_of(spec: Spec, key: str) -> str:
	if key not in KEYS:
		frappe.throw(
			_("Key must be one of {0}, not {1}").format(", ".join(KEYS), key), frappe.ValidationError
		)
	if key == "name":
		return "name"
	if key == "external_id":
		if not frappe.get_meta(spec.doctype).has_field("external_id"):
			frappe.throw(_("{0} has no external_id field: use --key email or name").format(spec.doctype))
		return "external_id"
	if not spec.email_column:
		frappe.throw(_("{0} has no email to match on: use --key name").format(spec.doctype))
	return spec.email_column


def key_value(key: str, row: dict, spec: Spec) -> str | None:
	if key == "email":
		raw = row.get(spec.email_column)
		if raw is None and spec.children:  # contacts: their first email row
			raw = next((c.get("email_id") for c in row.get("emails") or [] if c.get("email_id")), None)
		if row_rules.empty(raw):
			return None
		try:
			return normalize_email(raw).lower()
		except ValueError:
			return None
	value = row.get("name" if key == "name" else "external_id")
	return None if row_rules.empty(value) else str(value).strip().lower()


def match(spec: Spec, key: str, column: str, numbered: list[tuple[int, dict]]) -> tuple[dict, dict]:
	"""{row: stored name} of the rows whose key names one stored record, and the refusals of rows whose
	key names several, repeats an earlier row's key, or (key "name") names no record."""
	values = {n: key_value(key, row, spec) for n, row in numbered}
	wanted = {v for v in values.values() if v}
	stored: dict[str, list[str]] = {}
	if wanted:
		if key == "email" and spec.children:
			table = frappe.qb.DocType(spec.children["emails"])
			pairs = []
			for chunk in bulk.chunks(sorted(wanted)):
				pairs += (
					frappe.qb.from_(table)
					.select(table.email_id, table.parent)
					.distinct()
					.where((table.parenttype == spec.doctype) & table.email_id.isin(list(chunk)))
				).run()
		else:
			table = frappe.qb.DocType(spec.doctype)
			pairs = []
			for chunk in bulk.chunks(sorted(wanted)):
				pairs += (
					frappe.qb.from_(table)
					.select(table[column], table.name)
					.where(table[column].isin(list(chunk)))
					.run()
				)
		for value, name in pairs:
			stored.setdefault(str(value).lower(), []).append(name)
	matched, refusals, first = {}, {}, {}
	for number, _row in numbered:
		value = values[number]
		if not value:
			continue
		if value in first:
			refusals[number] = [
				Refusal(number, column, f"{column}: {value} repeats the key of row {first[value]}")
			]
			continue
		first[value] = number
		names = stored.get(value, [])
		if len(names) > 1:
			listing = ", ".join(sorted(names))
			refusals[number] = [
				Refusal(number, column, f"{column}: {value} matches several records ({listing})")
			]
		elif names:
			matched[number] = names[0]
		elif key == "name":
			refusals[number] = [Refusal(number, "name", f"name: no {spec.doctype} {value} to update")]
	return matched, refusals


# ------------------------------------------------------------------ checks


def check_children(spec: Spec, item: Checked, row: dict, now) -> None:
	"""Child tables given as lists of dicts (`emails`, `phones`), or as one row's flat columns
	(`emails.email_id`); coerced with their own fields' rules."""
	for table, child_doctype in spec.children.items():
		children = row.get(table)
		if children is None:
			flat = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith(f"{table}.")}
			children = [flat] if any(not row_rules.empty(v) for v in flat.values()) else None
		if children is None:
			continue
		child_fields = {
			df.fieldname: as_field(df)
			for df in frappe.get_meta(child_doctype).fields
			if df.fieldtype not in ("Section Break", "Column Break") and not df.read_only
		}
		coerced = []
		for child in children:
			one = row_rules.check_row(item.row, child, child_fields, now)
			for refusal in one.refusals:
				item.refuse(f"{table}.{refusal.field}", refusal.reason)
			if one.values.get("is_verified"):
				one.values["verified_on"] = now
			coerced.append(one.values)
		item.values[table] = coerced


def frappe_field_rules(item: Checked, fields: dict) -> None:
	"""What Frappe's own save checks and does: URL fields hold URLs (`_validate_data_fields`), text
	holding markup is sanitised (`_sanitize_content`)."""
	for fieldname, value in list(item.values.items()):
		df = fields.get(fieldname)
		if df is not None and df.options == "URL" and value and not frappe.utils.validate_url(value):
			item.refuse(fieldname, f"{df.title} '{value}' is not a valid URL")
		if not isinstance(value, str) or ("<" not in value and ">" not in value):
			continue
		if df is None or df.fieldtype in NOT_SANITIZED or df.options == "Email":
			continue
		item.values[fieldname] = sanitize_html(value, linkify=df.fieldtype == "Text Editor")


def check_set(spec: Spec, rows: list[Checked], matched: dict, user: str, result: ImportResult) -> None:
	checks.check_links(spec.doctype, rows, spec.owner_field)
	if spec.doctype == constants.INTERACTION:
		checks.check_interaction_parents(rows)
		fullname = get_fullname(user)
		for row in rows:
			if row.row not in matched and not row.values.get("conducted_by"):
				row.values["conducted_by"] = fullname
	if spec.doctype == constants.CONTACT:
		checks.check_primary_contacts(rows, matched)
	if spec.dedupe:
		result.warnings = checks.check_duplicates(spec.doctype, rows, matched)
	if spec.owner_field:
		checks.route(spec.doctype, [r for r in rows if r.row not in matched], user)


def diff(spec: Spec, rows: list[Checked], matched: dict) -> tuple[dict, dict]:
	"""{name: changed fields} of the matched rows, and {lead: previous owner} where the owner changes."""
	if not rows:
		return {}, {}
	names = [matched[r.row] for r in rows]
	columns = sorted({k for r in rows for k in r.values if k not in spec.children})
	table = frappe.qb.DocType(spec.doctype)
	stored = {}
	for chunk in bulk.chunks(names):
		for record in (
			frappe.qb.from_(table)
			.select(table.name, *[table[c] for c in columns])
			.where(table.name.isin(list(chunk)))
			.run(as_dict=True)
		):
			stored[record.name] = record
	children = stored_children(spec, names) if spec.children else {}
	changes, owners = {}, {}
	for row in rows:
		name = matched[row.row]
		plain = {k: v for k, v in row.values.items() if k not in spec.children}
		changed = row_rules.changed_fields(stored[name], plain)
		for table in spec.children:
			if table in row.values and not same_children(children.get((table, name), []), row.values[table]):
				changed[table] = row.values[table]
		if changed:
			changes[name] = changed
		if spec.owner_field and spec.owner_field in changed and spec.doctype == constants.LEAD:
			owners[name] = stored[name].get(spec.owner_field)
	return changes, owners


def stored_children(spec: Spec, names: list[str]) -> dict[tuple[str, str], list[dict]]:
	out: dict[tuple[str, str], list[dict]] = {}
	for table, child_doctype in spec.children.items():
		for chunk in bulk.chunks(names):
			for row in frappe.get_all(
				child_doctype,
				filters={"parenttype": spec.doctype, "parentfield": table, "parent": ("in", list(chunk))},
				fields=["*"],
				order_by="idx asc",
			):
				out.setdefault((table, row.parent), []).append(row)
	return out


def same_children(stored: list[dict], incoming: list[dict]) -> bool:
	if len(stored) != len(incoming):
		return False
	return all(not row_rules.changed_fields(old, new) for old, new in zip(stored, incoming, strict=True))
