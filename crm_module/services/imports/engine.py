"""The set-based import engine: rows of a Data Import template (dicts by fieldname) in, records out,
every row held to the rules of a form save, checked set-wise.

	result = import_rows("CRM Sales Lead", rows, key="email", update_existing=False, dry_run=False)

1. Rows are matched to stored records on `key` ("email", "external_id" when the doctype has that
   field, or "name"): a matched row updates its record (`update_existing`, only the fields that differ)
   or is left alone, so the same file twice creates nothing new. A key repeated in the file is refused.
2. Each row is checked without the database (`domain/import_rows.py`: types, required fields, select
   values, lengths, email syntax, E.164 phones, the controller's own rules and derived fields), then
   set-wise with one query per kind of check and 999 values (`checks.py`: link targets, owners who are
   enabled users with a CRM role, the contact's / opportunity's customer, the duplicate guard against
   stored records and within the file, one primary contact per customer, territory routing).
3. The file is read and checked `segment_size` rows at a time (20,000), so a file of a million rows
   never sits in memory; what a part leaves for the next (keys and contact points seen, routing loads,
   primary contacts, link targets found) is carried in `checks.FileState`, so the parts are checked as
   one file.
4. A refused row stores nothing and is reported as (row, field, reason). The accepted rows are written
   in batches (`batch_size`, default 2,000): names reserved from the doctype's naming series in one
   statement, multi-row inserts with the values a save and its follow-ups derive already in them, then
   the after-save effects set-based (`writes.py`), and one commit per batch, so an interrupted import
   leaves whole batches only (`ImportInterrupted` says how far it got; a deadlock is retried). `dry_run`
   does every check and writes nothing.
5. The dashboard cache is dropped once at the end.

`migrating` (a migration's rows, `services/migration/core.py`): the app-maintained (read-only) fields a
row gives are kept (conversion links, the ERPNext customer, an opportunity's lead and close date), an
owner left empty stays empty (no default owner, no territory routing), the duplicate guard is off (a
source system keeps a lead and the contact it became side by side), and new leads get no owner
assignment (ToDo) and no score (the migration scores them once at the end).

Leads, interactions, customers and contacts (with their email and phone rows) are supported. Only CRM
Managers and System Managers import (`require_importer`).
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import islice

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
from crm_module.services.contact_points import default_region
from crm_module.services.imports import checks, derive, writes
from crm_module.services.imports.specs import Spec, as_field, spec_for, writable_fields
from crm_module.services.reporting import cache as metrics_cache

KEYS = ("email", "external_id", "name")
BATCH = 2000
ATTEMPTS = 3  # of a batch that hit a deadlock or lock wait timeout
SEGMENT = 20_000  # rows checked together (memory stays bounded for files of millions of rows)
# hears [(row, "created" | "updated" | "unchanged" | "refused", name or None, refusals or warnings)]
# as they happen
Listener = Callable[[list[tuple]], None]
NOT_SANITIZED = {"Code", "Attach", "Attach Image", "Password", "JSON"}
LAYOUT_AND_TABLES = {"Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect"}


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


@dataclass
class Run:
	"""One import: its settings and what a part of the file leaves for the parts after it (keys and
	contact points seen, routing loads, primary contacts, link targets found), so a file read part by
	part is checked as one."""

	spec: Spec
	key: str
	key_column: str
	update_existing: bool
	dry_run: bool
	batch_size: int
	listener: Listener | None
	migrating: bool = False
	fields: dict = field(default_factory=dict)
	system: set = field(default_factory=set)  # read-only fields a migration's rows may set
	defaults: dict = field(default_factory=dict)
	child_fields: dict = field(default_factory=dict)
	other_tables: set = field(default_factory=set)  # child tables the engine does not write
	now: object = None
	user: str = ""
	region: str = ""
	fullname: str = ""
	state: checks.FileState = field(default_factory=checks.FileState)

	def __post_init__(self):
		filled = derive.FILLED.get(self.spec.doctype, ())
		self.fields = {
			fieldname: replace(
				df,
				default=frappe.session.user if df.default == "__user" else df.default,
				reqd=df.reqd and fieldname not in filled,
			)
			for fieldname, df in writable_fields(self.spec.doctype).items()
		}
		self.other_tables = {
			df.fieldname
			for df in frappe.get_meta(self.spec.doctype).fields
			if df.fieldtype in ("Table", "Table MultiSelect") and df.fieldname not in self.spec.children
		}
		self.defaults = new_doc_defaults(self.spec.doctype, self.fields)
		if self.migrating:
			self.system = {
				df.fieldname
				for df in frappe.get_meta(self.spec.doctype).fields
				if df.read_only and df.fieldname not in self.fields and df.fieldtype not in LAYOUT_AND_TABLES
			}
		self.child_fields = child_fields(self.spec)
		self.now, self.user, self.region = now_datetime(), frappe.session.user, default_region()
		self.fullname = get_fullname(self.user)
		self.state.written = not self.dry_run


def import_rows(
	doctype: str,
	rows: Iterable[dict],
	key: str | None = None,
	update_existing: bool = False,
	dry_run: bool = False,
	batch_size: int = BATCH,
	check_permission: bool = True,
	segment_size: int = SEGMENT,
	listener: Listener | None = None,
	migrating: bool = False,
) -> ImportResult:
	"""Import `rows` (dicts by fieldname; `_row` gives a row's number in its file, else its position
	from 1; a list or any iterable, read `segment_size` rows at a time) into `doctype`. See the module
	docstring. `listener` hears what became of every row (the Data Import door logs it); `migrating`:
	see the module docstring."""
	spec = spec_for(doctype)
	if check_permission:
		require_importer()
	key = key or spec.default_key
	key_column = key_column_of(spec, key)
	result = ImportResult(doctype, key, dry_run=dry_run)
	run = Run(spec, key, key_column, update_existing, dry_run, batch_size, listener, migrating)
	position = 0
	iterator = iter(rows)
	while segment := list(islice(iterator, segment_size)):
		numbered = []
		for row in segment:
			position += 1
			numbered.append((int(row.get("_row") or position), row))
		del segment
		import_segment(run, numbered, result)
	result.refused.sort(key=lambda r: r.row)
	if not dry_run:
		metrics_cache.invalidate()  # once for the whole import
		frappe.db.commit()
	return result


def import_segment(run: Run, numbered: list[tuple[int, dict]], result: ImportResult) -> None:
	"""Check one part of the file against the database and the parts before it, then write it."""
	spec, state = run.spec, run.state
	matched, key_refusals = match(spec, run.key, run.key_column, numbered, state)
	checked: list[Checked] = []
	for number, row in numbered:
		new = number not in matched
		item = row_rules.check_row(number, row, run.fields, run.now, defaults=new)
		item.refusals += key_refusals.get(number, [])
		if new:
			for fieldname, value in run.defaults.items():
				if item.values.get(fieldname) is None:
					item.values[fieldname] = value
		if run.migrating:
			migrated_values(run, item, row)
		if spec.children:
			check_children(spec, item, row, run.now, run.child_fields)
		for table in sorted(run.other_tables & tables_given(row)):
			item.refuse(table, f"{table}: its rows are not imported; add them on the form")
		frappe_field_rules(item, run.fields)
		doctype_rules.RULES[spec.doctype](item, run.region, new)
		checked.append(item)
	del numbered
	warnings = check_set(run, checked, matched)
	result.warnings += warnings
	notes: dict[int, list[Refusal]] = {}
	for warning in warnings:
		notes.setdefault(warning.row, []).append(warning)

	changes, previous_owners = diff(spec, [c for c in checked if c.ok and c.row in matched], matched)
	if changes and run.update_existing:
		by_name = {matched[c.row]: c for c in checked if c.row in matched}
		for name, (fieldname, reason) in derive.fixed_fields_changed(spec.doctype, changes).items():
			by_name[name].refuse(fieldname, reason)
			del changes[name]
	new = [c for c in checked if c.ok and c.row not in matched]
	refused = [r for c in checked for r in c.refusals]
	result.refused += refused
	result.to_create += len(new)
	to_update = {name for name in changes} if run.update_existing else set()
	result.to_update += len(to_update)
	unchanged = [(c.row, matched[c.row]) for c in checked if c.ok and c.row in matched]
	unchanged = [(row, name) for row, name in unchanged if name not in to_update]
	result.unchanged += [name for _row, name in unchanged]
	if run.dry_run:
		return
	if run.listener:
		run.listener([(c.row, "refused", None, c.refusals) for c in checked if not c.ok])
		run.listener([(row, "unchanged", name, notes.get(row, [])) for row, name in unchanged])
		frappe.db.commit()  # what the listener wrote about them stays if a batch fails
	del checked

	for start in range(0, len(new), run.batch_size):
		part = new[start : start + run.batch_size]
		records = [c.values for c in part]
		rows = [c.row for c in part]
		names = in_batch(
			result,
			lambda records=records, rows=rows: announce(
				run, rows, "created", writes.insert_batch(spec, records, run.migrating), notes
			),
		)
		result.created += names
		if spec.dedupe:
			state.created.update(names)
	if run.update_existing and changes:
		rows_of = {matched[row]: row for row in matched}
		names = list(changes)
		for start in range(0, len(names), run.batch_size):
			part = {name: changes[name] for name in names[start : start + run.batch_size]}
			owners = {name: previous_owners[name] for name in part if name in previous_owners}

			def update(part=part, owners=owners):
				writes.update_batch(spec, part, owners)
				return announce(run, [rows_of[name] for name in part], "updated", list(part), notes)

			result.updated += in_batch(result, update)


def announce(
	run: Run, rows: list[int], action: str, names: list[str], notes: dict[int, list[Refusal]]
) -> list[str]:
	"""Tell the listener (inside the batch's transaction) which rows became which records, with their
	warnings."""
	if run.listener:
		run.listener([(row, action, name, notes.get(row, [])) for row, name in zip(rows, names, strict=True)])
	return names


def in_batch(result: ImportResult, write):
	"""Run one batch's writes and commit them. A deadlock or lock wait timeout (another writer on the same
	tables), or a random row name (timeline entries, assignments, child rows: 10 hex characters, as
	Frappe's "hash" naming gives them) already taken, rolls the batch back and runs it again with new
	names, up to `ATTEMPTS` times; any other error rolls the batch back and stops the import."""
	result.batches += 1
	for attempt in range(1, ATTEMPTS + 1):
		try:
			out = write()
			frappe.db.commit()
			return out or []
		except Exception as error:
			frappe.db.rollback()
			if attempt < ATTEMPTS and retryable(error):
				time.sleep(0.2 * attempt)
				continue
			raise ImportInterrupted(result, result.batches, error) from error


def retryable(error: Exception) -> bool:
	if isinstance(error, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
		return True
	return bool(frappe.db.is_primary_key_violation(error))


def new_doc_defaults(doctype: str, fields: dict) -> dict:
	"""What a new document starts with besides the DocType defaults (`frappe.new_doc`: a Select without
	default takes its first option, user defaults), for the fields a save would fill that way (read-only
	ones too: a derived Select starts empty, not NULL)."""
	values = frappe.new_doc(doctype, as_dict=True)
	meta = {df.fieldname: df for df in frappe.get_meta(doctype).fields}
	return {
		fieldname: value
		for fieldname, value in values.items()
		if fieldname in meta
		and value is not None
		and meta[fieldname].fieldtype
		not in ("Date", "Datetime", "Int", "Check", "Table", "Table MultiSelect")
		and not (fields[fieldname].default if fieldname in fields else meta[fieldname].default)
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


def match(
	spec: Spec, key: str, column: str, numbered: list[tuple[int, dict]], state: checks.FileState
) -> tuple[dict, dict]:
	"""{row: stored name} of the rows whose key names one stored record, and the refusals of rows whose
	key names several, repeats an earlier row's key (in this part of the file or an earlier one), or
	(key "name") names no record. Stored records are looked up in one query per 999 keys."""
	values = {n: key_value(key, row, spec) for n, row in numbered}
	wanted = {v for v in values.values() if v and v not in state.keys}
	stored: dict[str, list[str]] = {}
	if wanted:
		if key == "email" and spec.children:
			sql = (
				f"select distinct `email_id`, `parent` from `tab{spec.children['emails']}`"
				f" where `parenttype` = {frappe.db.escape(spec.doctype)} and `email_id` in {{values}}"
			)
		else:
			sql = f"select `{column}`, `name` from `tab{spec.doctype}` where `{column}` in {{values}}"
		for value, name in checks.lookup(sql, wanted):
			stored.setdefault(str(value).lower(), []).append(name)
		if key == "email" and spec.doctype == constants.LEAD:  # the duplicate guard asks the same
			state.known_lead_emails = stored
	matched, refusals, first = {}, {}, state.keys
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


def tables_given(row: dict) -> set[str]:
	"""Child tables a row fills (a list of rows, or `table.field` columns with a value)."""
	given = {key for key, value in row.items() if isinstance(value, list) and value}
	given |= {key.split(".", 1)[0] for key, value in row.items() if "." in key and not row_rules.empty(value)}
	return given


def child_fields(spec: Spec) -> dict[str, dict]:
	"""{table: the fields a file may set on its rows}."""
	return {
		table: {
			df.fieldname: as_field(df)
			for df in frappe.get_meta(child_doctype).fields
			if df.fieldtype not in ("Section Break", "Column Break") and not df.read_only
		}
		for table, child_doctype in spec.children.items()
	}


def check_children(spec: Spec, item: Checked, row: dict, now, fields: dict[str, dict]) -> None:
	"""Child tables given as lists of dicts (`emails`, `phones`), or as one row's flat columns
	(`emails.email_id`); coerced with their own fields' rules (`fields`: `child_fields`)."""
	for table in spec.children:
		children = row.get(table)
		if children is None:
			flat = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith(f"{table}.")}
			children = [flat] if any(not row_rules.empty(v) for v in flat.values()) else None
		if children is None:
			continue
		coerced = []
		for child in children:
			one = row_rules.check_row(item.row, child, fields[table], now)
			for refusal in one.refusals:
				item.refuse(f"{table}.{refusal.field}", refusal.reason)
			if one.values.get("is_verified"):
				one.values["verified_on"] = now
			coerced.append(one.values)
		item.values[table] = coerced


def migrated_values(run: Run, item: Checked, row: dict) -> None:
	"""A migration's row keeps the app-maintained fields it gives, and an owner it leaves empty."""
	for fieldname in run.system & row.keys():
		if not row_rules.empty(row[fieldname]):
			item.values[fieldname] = row[fieldname]
	owner = run.spec.owner_field
	if owner and row_rules.empty(row.get(owner)):
		item.values[owner] = None


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


def check_set(run: Run, rows: list[Checked], matched: dict) -> list[Refusal]:
	"""The checks that need the database, for one part of the file; returns the duplicate warnings."""
	spec, state = run.spec, run.state
	checks.check_links(spec.doctype, rows, spec.owner_field, state)
	warnings = []
	if spec.doctype == constants.INTERACTION:
		checks.check_interaction_parents(rows, state)
		for row in rows:
			if row.row not in matched and not row.values.get("conducted_by"):
				row.values["conducted_by"] = run.fullname
	if spec.doctype == constants.CONTACT:
		checks.check_primary_contacts(rows, matched, state)
	if spec.dedupe and not run.migrating:
		warnings = checks.check_duplicates(spec.doctype, rows, matched, state)
	if spec.routed and not run.migrating:
		checks.route(spec.doctype, [r for r in rows if r.row not in matched], run.user, state)
	if spec.doctype in derive.RULES:
		derive.RULES[spec.doctype](run, [r for r in rows if r.row not in matched], matched)
	return warnings


def diff(spec: Spec, rows: list[Checked], matched: dict) -> tuple[dict, dict]:
	"""{name: changed fields} of the matched rows, and {lead: previous owner} where the owner changes."""
	if not rows:
		return {}, {}
	names = [matched[r.row] for r in rows]
	columns = sorted({k for r in rows for k in r.values if k not in spec.children})
	selected = ", ".join(f"`{c}`" for c in ["name", *columns])
	sql = f"select {selected} from `tab{spec.doctype}` where `name` in {{values}}"
	stored = {record.name: record for record in checks.lookup(sql, names, as_dict=True)}
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
		sql = (
			f"select * from `tab{child_doctype}` where `parenttype` = {frappe.db.escape(spec.doctype)}"
			f" and `parentfield` = {frappe.db.escape(table)} and `parent` in {{values}}"
		)
		for row in sorted(checks.lookup(sql, names, as_dict=True), key=lambda r: (r.parent, r.idx)):
			out.setdefault((table, row.parent), []).append(row)
	return out


def same_children(stored: list[dict], incoming: list[dict]) -> bool:
	if len(stored) != len(incoming):
		return False
	return all(not row_rules.changed_fields(old, new) for old, new in zip(stored, incoming, strict=True))
