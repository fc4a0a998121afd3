"""The import engine's checks that need the database, each one query (per chunk) for the whole file:
link targets, owners, the contact's and opportunity's customer, the duplicate guard, one primary contact
per customer, and routing's reps and loads. Every function takes the checked rows (`domain.import_rows.
Checked`) and refuses, on the row, what a form save would refuse."""

from collections import defaultdict
from dataclasses import dataclass, field

import frappe
from frappe.query_builder.functions import Count

from crm_module import constants
from crm_module.access.users import CRM_ROLES
from crm_module.domain import import_rows
from crm_module.domain.import_rows import Checked
from crm_module.services import bulk
from crm_module.services.dedupe.guard import CHANNEL_COLUMNS, CHANNEL_TABLES, duplicate_policy
from crm_module.services.imports.specs import link_targets
from crm_module.services.sales.teams import ROUTED, territory_reps

OWNER_ROLES = CRM_ROLES | {"System Manager"}
# values per IN list: MariaDB turns a list of 1,000 or more (`in_predicate_conversion_threshold`) into a
# derived table, which costs about twice as much as two indexed lists of 999
LOOKUP = 999


@dataclass
class FileState:
	"""What the parts of a file read before tell the checks of the next part."""

	keys: dict[str, int] = field(default_factory=dict)  # key value -> first row using it
	points: dict[str, int] = field(default_factory=dict)  # email / phone -> first row using it
	created: set[str] = field(default_factory=set)  # records this import created (duplicate guard)
	known_lead_emails: dict[str, list[str]] | None = None  # the key lookup of this part, for the guard
	found: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (target, value) -> stored
	customers: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (doctype, name) -> customer
	reps: dict[str, list[str]] = field(default_factory=dict)  # territory -> reps
	loads: dict[str, int] = field(default_factory=dict)  # routing: rep -> open records
	counted: set[str] = field(default_factory=set)  # reps whose stored open records are in `loads`
	written: bool = True  # earlier parts are stored before the next is checked (False: a dry run)
	contacts_of: set[str] = field(default_factory=set)  # customers with a contact
	primary: dict[str, str] = field(default_factory=dict)  # customer -> its primary contact
	asked: set[str] = field(default_factory=set)  # customers whose contacts were looked up


def lookup(sql: str, values, as_dict: bool = False) -> list:
	"""The rows of `sql` for `values`, asked 999 at a time: `sql` has `{values}` where the IN list goes
	(escaped literals, `bulk.sql_in`)."""
	rows = []
	for chunk in bulk.chunks(sorted(values), LOOKUP):
		rows += frappe.db.sql(sql.replace("{values}", bulk.sql_in(chunk)), as_dict=as_dict)
	return rows


def existing_names(doctype: str, values: set[str], column: str = "name") -> dict[str, str]:
	"""{lower-cased value: stored spelling} of the values found in `doctype`.`column` (the database
	compares case-insensitively, as Frappe's link validation does)."""
	rows = lookup(f"select `{column}` from `tab{doctype}` where `{column}` in {{values}}", values)
	return {str(value).lower(): value for (value,) in rows}


def crm_users(values: set[str]) -> dict[str, str]:
	"""{lower-cased user: user} of the enabled users with a CRM role (or System Manager) among `values`."""
	if not values:
		return {}
	user, role = frappe.qb.DocType("User"), frappe.qb.DocType("Has Role")
	found = {}
	for chunk in bulk.chunks(sorted(values)):
		rows = (
			frappe.qb.from_(user)
			.join(role)
			.on((role.parent == user.name) & (role.parenttype == "User"))
			.select(user.name)
			.distinct()
			.where(user.name.isin(list(chunk)) & (user.enabled == 1) & role.role.isin(list(OWNER_ROLES)))
		).run()
		found.update({name.lower(): name for (name,) in rows})
	if "administrator" in {v.lower() for v in values}:
		found["administrator"] = "Administrator"
	return found


def check_links(
	doctype: str, rows: list[Checked], owner_field: str | None, state: FileState | None = None
) -> None:
	"""Every Link value must name a stored record (its stored spelling is kept); the owner field must
	name an enabled user with a CRM role. Values looked up for an earlier part of the file are not
	asked again."""
	state = state or FileState()
	for fieldname, target in link_targets(doctype).items():
		kind = "owner" if fieldname == owner_field else target
		values = {
			str(r.values[fieldname]).lower()
			for r in rows
			if r.ok and not import_rows.empty(r.values.get(fieldname))
		}
		ask = {v for v in values if (kind, v) not in state.found}
		if ask:
			found = crm_users(ask) if kind == "owner" else existing_names(target, ask)
			for value in ask:
				state.found[(kind, value)] = found.get(value)
		for row in rows:
			value = row.values.get(fieldname)
			if not row.ok or import_rows.empty(value):
				continue
			stored = state.found.get((kind, str(value).lower()))
			if stored is not None:
				row.values[fieldname] = stored
			elif fieldname == owner_field:
				row.refuse(fieldname, f"{fieldname}: {value} is not an enabled user with a CRM role")
			else:
				row.refuse(fieldname, f"{fieldname}: {target} {value} not found")


def customers_of(doctype: str, names: set[str]) -> dict[str, str]:
	return dict(lookup(f"select `name`, `customer` from `tab{doctype}` where `name` in {{values}}", names))


def check_interaction_parents(rows: list[Checked], state: FileState | None = None) -> None:
	"""An interaction's contact and opportunity belong to its customer (CRM Interaction.validate)."""
	state = state or FileState()
	for fieldname, doctype in (("contact", constants.CONTACT), ("opportunity", constants.OPPORTUNITY)):
		values = {
			r.values[fieldname] for r in rows if r.ok and r.values.get(fieldname) and r.values.get("customer")
		}
		ask = {v for v in values if (doctype, v) not in state.customers}
		if ask:
			found = customers_of(doctype, ask)
			for value in ask:
				state.customers[(doctype, value)] = found.get(value)
		for row in rows:
			value, customer = row.values.get(fieldname), row.values.get("customer")
			if not row.ok or not value or not customer:
				continue
			owner = state.customers.get((doctype, value))
			if owner == customer:
				continue
			if fieldname == "contact":
				reason = f"Contact (contact) {value} belongs to customer {owner}, not {customer}"
			else:
				reason = f"Opportunity (opportunity) {value} belongs to another customer"
			row.refuse(fieldname, reason)


def contact_points(row: Checked) -> tuple[list[str], list[str]]:
	values = row.values
	if "emails" in values or "phones" in values:
		return (
			[c["email_id"] for c in values.get("emails") or [] if c.get("email_id")],
			[c["phone"] for c in values.get("phones") or [] if c.get("phone")],
		)
	return [v for v in [values.get("email_id")] if v], [v for v in [values.get("phone")] if v]


def stored_contact_points(
	channel: str, values: set[str], known_leads: dict[str, list[str]] | None = None
) -> dict[str, set[tuple[str, str]]]:
	"""{lower-cased value: {(doctype, name)}} of the leads and contacts using one of `values`
	(`known_leads`: the leads by lower-cased email, already looked up), one query per 999 values."""
	column = CHANNEL_COLUMNS[channel]
	out: dict[str, set] = defaultdict(set)
	if known_leads is not None:
		for value in values:
			for name in known_leads.get(value.lower(), ()):
				out[value.lower()].add((constants.LEAD, name))
	contacts = (
		f"select `{column}`, {frappe.db.escape(constants.CONTACT)}, `parent` from `tab{CHANNEL_TABLES[channel]}`"
		f" where `parenttype` = {frappe.db.escape(constants.CONTACT)} and `{column}` in {{values}}"
	)
	leads = (
		f"select `{column}`, {frappe.db.escape(constants.LEAD)}, `name` from `tab{constants.LEAD}`"
		f" where `{column}` in {{values}}"
	)
	sql = contacts if known_leads is not None else f"{leads} union all {contacts}"
	for value, doctype, name in lookup(sql, values):
		out[str(value).lower()].add((doctype, name))
	return out


def check_duplicates(
	doctype: str, rows: list[Checked], matched: dict[int, str], state: FileState | None = None
) -> list[import_rows.Refusal]:
	"""The duplicate guard for the whole file: an email or phone used by a stored lead or contact (other
	than the record a row updates, and than the records this import created from earlier rows, which
	the file check names) or by an earlier row of the file. Under the "Block" policy such a row is
	refused; under "Warn" it is stored and the warning returned."""
	state = state or FileState()
	candidates = [r for r in rows if r.ok]
	points = {r.row: contact_points(r) for r in candidates}
	stored = {}
	for index, channel in enumerate(("email", "phone")):
		values = {v for emails_phones in points.values() for v in emails_phones[index]}
		known = state.known_lead_emails if channel == "email" and doctype == constants.LEAD else None
		stored[channel] = stored_contact_points(channel, values, known) if values else {}
	state.known_lead_emails = None
	in_file = import_rows.file_duplicates(
		((r.row, [*points[r.row][0], *points[r.row][1]]) for r in candidates), state.points
	)
	block = duplicate_policy() == "Block"
	warnings = []
	for row in candidates:
		itself = (doctype, matched[row.row]) if row.row in matched else None
		reasons = []
		for index, channel in enumerate(("email", "phone")):
			for value in points[row.row][index]:
				users = {
					user
					for user in stored[channel].get(value.lower(), ())
					if user != itself and not (user[0] == doctype and user[1] in state.created)
				}
				if users:
					listing = ", ".join(f"{dt} {name}" for dt, name in sorted(users))
					reasons.append(
						(
							CHANNEL_COLUMNS[channel],
							f"Possible duplicate: {value} is already used by {listing}",
						)
					)
		if row.row in in_file:
			value, first = in_file[row.row]
			column = CHANNEL_COLUMNS["email" if value in points[row.row][0] else "phone"]
			reasons.append(
				(column, f"Possible duplicate: {value} is already used by row {first} of the file")
			)
		for fieldname, reason in reasons:
			if block:
				row.refuse(fieldname, reason)
			else:
				warnings.append(import_rows.Refusal(row.row, fieldname, reason))
	return warnings


def check_primary_contacts(
	rows: list[Checked], matched: dict[int, str], state: FileState | None = None
) -> None:
	"""One primary contact per customer, and a customer's first contact is its primary one
	(CRM Contact.validate), in file order as one save after the other would decide."""
	state = state or FileState()
	new = [r for r in rows if r.ok and r.row not in matched and r.values.get("customer")]
	ask = {r.values["customer"] for r in new} - state.asked
	if ask:
		sql = f"select `customer`, `name`, `is_primary` from `tab{constants.CONTACT}` where `customer` in {{values}}"
		for customer, name, is_primary in lookup(sql, ask):
			state.contacts_of.add(customer)
			if is_primary:
				state.primary[customer] = name
		state.asked |= ask
	has_any, primary = state.contacts_of, state.primary
	for row in new:
		customer = row.values["customer"]
		if row.values.get("is_primary") and customer in primary:
			row.refuse(
				"is_primary",
				f"Is Primary (is_primary): customer {customer} already has a primary contact ({primary[customer]})",
			)
			continue
		if not row.values.get("is_primary") and customer not in has_any:
			row.values["is_primary"] = 1
		has_any.add(customer)
		if row.values.get("is_primary"):
			primary[customer] = f"row {row.row}"


def is_open(values: dict, open_filters: dict) -> bool:
	for fieldname, condition in open_filters.items():
		if isinstance(condition, tuple):
			if values.get(fieldname) not in condition[1]:
				return False
		elif values.get(fieldname) != condition:
			return False
	return True


def route(doctype: str, rows: list[Checked], user: str, state: FileState | None = None) -> None:
	"""`route_by_territory` for every new row without an owner: the territory's least-loaded rep (one
	query per territory for its reps, one grouped count for their open records, both kept for the rest
	of the file), else the importer."""
	state = state or FileState()
	owner_field, open_filters = ROUTED[doctype]
	new = [r for r in rows if r.ok]
	territories = {
		r.values["territory"]
		for r in new
		if r.values.get("territory") and import_rows.empty(r.values.get(owner_field))
	}
	for territory in territories - set(state.reps):
		state.reps[territory] = territory_reps(territory)
	everyone = sorted({rep for names in state.reps.values() for rep in names} - state.counted)
	if everyone:
		table = frappe.qb.DocType(doctype)
		query = (
			frappe.qb.from_(table)
			.select(table[owner_field], Count("*"))
			.where(table[owner_field].isin(everyone))
		)
		for fieldname, condition in open_filters.items():
			if isinstance(condition, tuple):
				query = query.where(table[fieldname].isin(list(condition[1])))
			else:
				query = query.where(table[fieldname] == condition)
		stored = dict(query.groupby(table[owner_field]).run())
		for rep in everyone:
			# `loads` already counts this file's earlier open records of the rep; stored, they are
			# in the count too
			carried = 0 if state.written else state.loads.get(rep, 0)
			state.loads[rep] = stored.get(rep, 0) + carried
		state.counted.update(everyone)
	routed = import_rows.route(
		(
			(r.row, r.values.get("territory"), r.values.get(owner_field), is_open(r.values, open_filters))
			for r in new
		),
		state.reps,
		state.loads,
	)
	for row in new:
		if import_rows.empty(row.values.get(owner_field)):
			row.values[owner_field] = routed.get(row.row) or user
