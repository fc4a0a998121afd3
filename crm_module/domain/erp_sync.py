"""Two-way sync of customers and contacts with ERPNext's Customer and Frappe's Contact (issue 20): the
field maps and the merge rule. Pure Python (no frappe); the services in
`crm_module/services/integrations/erp_sync.py` read both records, call `merge` and write what it says.

Both records of a pair are read into one *canonical* dict (the keys of the maps below, values compared
after `canonical_value`). Each pair keeps the canonical values each side had after its last sync (the
*base*). A sync is a three-way merge, field by field:

- equal on both sides: nothing to do;
- changed on one side only (since the base): that side's value goes to the other;
- changed on both sides (a conflict): the side with the later ``modified`` wins that field;
- no base yet (first pairing): the side with the later ``modified`` wins every differing field;
- different but changed on neither side (a value the other side cannot hold): left alone.

So a change is written once, and a synced write never comes back: after it both sides are equal.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# ------------------------------------------------------------------ maps

# CRM Customer Profile field -> ERPNext Customer field, written as they are
CUSTOMER_MAP = {
	"company_name": "customer_name",
	"customer_type": "customer_type",
	"website": "website",
	"industry": "industry",  # ERPNext: Link to Industry Type (written only when that Industry Type exists)
	"territory": "territory",  # CRM Sales Territory <-> ERPNext Territory of the same name (when it exists)
	"account_owner": "account_manager",  # both Link to User
}
# canonical key of the disabled state: CRM status / lifecycle stage <-> ERPNext Customer.disabled
DISABLED = "disabled"
CUSTOMER_KEYS = (*CUSTOMER_MAP, DISABLED)
# ERPNext Customer fields that are links to other masters: written only when the target exists there
CUSTOMER_LINKS = {"industry": "Industry Type", "territory": "Territory", "account_owner": "User"}

# CRM Contact field -> Frappe Contact field
CONTACT_MAP = {
	"first_name": "first_name",
	"last_name": "last_name",
	"job_title": "designation",
	"is_primary": "is_primary_contact",
}
# list-valued canonical keys (the child rows) and their primary
EMAILS, PRIMARY_EMAIL, PHONES, PRIMARY_PHONE = "emails", "primary_email", "phones", "primary_phone"
# the ERPNext Customer a contact belongs to (CRM: its customer's `erpnext_customer`; Contact: Dynamic Link)
ERP_CUSTOMER = "erpnext_customer"
CONTACT_KEYS = (*CONTACT_MAP, EMAILS, PRIMARY_EMAIL, PHONES, PRIMARY_PHONE)

# CRM Customer Profile.customer_type <-> ERPNext Customer.customer_type (ERPNext v15 adds Partnership)
CUSTOMER_TYPE_TO_CRM = {"Company": "Company", "Individual": "Individual", "Partnership": "Company"}

INACTIVE, ACTIVE, CHURNED = "Inactive", "Active", "Churned"


def crm_disabled(status: str | None, lifecycle_stage: str | None) -> bool:
	"""A CRM customer counts as disabled when it is Inactive or Churned."""
	return status == INACTIVE or lifecycle_stage == CHURNED


def crm_status_values(disabled: bool, lifecycle_stage: str | None) -> dict:
	"""CRM Customer Profile values for ERPNext's `disabled`: Inactive, or Active (a Churned customer
	enabled again in ERPNext becomes a Customer again, so the two sides agree)."""
	if disabled:
		return {"status": INACTIVE}
	values = {"status": ACTIVE}
	if lifecycle_stage == CHURNED:
		values["lifecycle_stage"] = "Customer"
	return values


# ------------------------------------------------------------------ canonical values


def phone_digits(phone: str | None) -> str:
	"""A phone number as compared between the sides: a leading + and its digits ("+1 (555) 010-9999"
	and "+15550109999" are one number)."""
	text = str(phone or "").strip()
	digits = "".join(ch for ch in text if ch.isdigit())
	return f"+{digits}" if text.startswith("+") and digits else digits


def canonical_value(key: str, value):
	"""The comparable form of a canonical value: text stripped ("" for empty), emails lower-case, phone
	numbers as `phone_digits`, lists as sorted tuples, flags as bool."""
	if key in (EMAILS, PHONES):
		norm = phone_digits if key == PHONES else lambda v: str(v or "").strip().lower()
		return tuple(sorted({norm(v) for v in value or () if norm(v)}))
	if key == PRIMARY_EMAIL:
		return str(value or "").strip().lower()
	if key == PRIMARY_PHONE:
		return phone_digits(value)
	if key in (DISABLED, "is_primary"):
		return bool(value and value not in ("0", 0))
	return str(value if value is not None else "").strip()


def canonical(values: Mapping, keys: Iterable[str]) -> dict:
	return {key: canonical_value(key, values.get(key)) for key in keys}


def customer_from_crm(profile: Mapping) -> dict:
	values = {key: profile.get(key) for key in CUSTOMER_MAP}
	values[DISABLED] = crm_disabled(profile.get("status"), profile.get("lifecycle_stage"))
	return canonical(values, CUSTOMER_KEYS)


def customer_from_erp(customer: Mapping) -> dict:
	values = {crm: customer.get(erp) for crm, erp in CUSTOMER_MAP.items()}
	values["customer_type"] = CUSTOMER_TYPE_TO_CRM.get(customer.get("customer_type") or "", "Company")
	values[DISABLED] = customer.get("disabled")
	return canonical(values, CUSTOMER_KEYS)


def contact_from_rows(head: Mapping, emails: Iterable[Mapping], phones: Iterable[Mapping], erp: bool) -> dict:
	"""Canonical contact from a CRM Contact (`erp` False: CRM Email Address / CRM Phone Number rows) or a
	Frappe Contact (`erp` True: Contact Email / Contact Phone rows, the map's Contact field names)."""
	values = {crm: head.get(other if erp else crm) for crm, other in CONTACT_MAP.items()}
	emails, phones = list(emails), list(phones)
	values[EMAILS] = [row.get("email_id") for row in emails]
	values[PRIMARY_EMAIL] = next((row.get("email_id") for row in emails if row.get("is_primary")), "")
	values[PHONES] = [row.get("phone") for row in phones]
	if erp:
		primary = [r for r in phones if r.get("is_primary_mobile_no")] or [
			r for r in phones if r.get("is_primary_phone")
		]
	else:
		primary = [r for r in phones if r.get("is_primary")]
	values[PRIMARY_PHONE] = primary[0].get("phone") if primary else ""
	return canonical(values, CONTACT_KEYS)


def contact_rows_for_erp(
	emails: Iterable[str], primary_email: str, phones: Iterable[tuple[str, str]], primary_phone: str
) -> tuple[list[dict], list[dict]]:
	"""Contact Email / Contact Phone rows from CRM rows (`phones`: (number, phone_type)). A primary
	Mobile is ERPNext's primary mobile number, any other primary its primary phone."""
	email_rows = [
		{"email_id": e, "is_primary": int(canonical_value(PRIMARY_EMAIL, e) == primary_email)} for e in emails
	]
	phone_rows = []
	for number, kind in phones:
		primary = bool(primary_phone) and phone_digits(number) == primary_phone
		phone_rows.append(
			{
				"phone": number,
				"is_primary_mobile_no": int(primary and kind == "Mobile"),
				"is_primary_phone": int(primary and kind != "Mobile"),
			}
		)
	return email_rows, phone_rows


# ------------------------------------------------------------------ merge


@dataclass
class Merge:
	"""What a sync writes: the canonical values to set on each side, the merged state (the next base),
	and the fields where both sides had changed (won by the later `modified`)."""

	to_crm: dict = field(default_factory=dict)
	to_erp: dict = field(default_factory=dict)
	merged: dict = field(default_factory=dict)
	conflicts: list = field(default_factory=list)

	@property
	def nothing(self) -> bool:
		return not (self.to_crm or self.to_erp)


def changed_fields(before: Mapping | None, after: Mapping, keys: Iterable[str]) -> list[str]:
	"""The keys whose canonical value differs between `before` (None: a new record, every key that has a
	value) and `after`."""
	keys = list(keys)
	if before is None:
		return [k for k in keys if canonical_value(k, after.get(k)) not in ("", (), False)]
	return [k for k in keys if canonical_value(k, before.get(k)) != canonical_value(k, after.get(k))]


def merge(crm: Mapping, erp: Mapping, crm_modified, erp_modified, base: Mapping | None = None) -> Merge:
	"""The three-way merge of the module docstring. `crm` and `erp` are canonical dicts with the same
	keys; `*_modified` comparable timestamps (ties go to the CRM side); `base` the canonical values each
	side had after the last sync, ``{"crm": {...}, "erp": {...}}`` (None: never synced). Each side is
	compared with its own last values, so a difference neither side made since (a value the other side
	cannot hold, such as a territory ERPNext does not have) is left alone instead of flapping."""
	result = Merge()
	crm_later = crm_modified >= erp_modified
	base_crm = (base or {}).get("crm") or {}
	base_erp = (base or {}).get("erp") or {}
	for key in crm:
		mine, theirs = crm[key], erp.get(key)
		if mine == theirs:
			result.merged[key] = mine
			continue
		if key not in base_crm or key not in base_erp:
			winner = "crm" if crm_later else "erp"
		else:
			crm_changed, erp_changed = mine != base_crm[key], theirs != base_erp[key]
			if crm_changed and erp_changed:
				result.conflicts.append(key)
				winner = "crm" if crm_later else "erp"
			elif crm_changed:
				winner = "crm"
			elif erp_changed:
				winner = "erp"
			else:
				result.merged[key] = mine
				continue
		if winner == "crm":
			result.to_erp[key] = result.merged[key] = mine
		else:
			result.to_crm[key] = result.merged[key] = theirs
	return result


# ------------------------------------------------------------------ pairing (backfill)


def name_key(name: str | None) -> str:
	"""Names compared for pairing: lower case, single spaces."""
	return " ".join(str(name or "").lower().split())


def pair_by_key(left: Mapping[str, str], right: Mapping[str, str]) -> tuple[dict, list, list]:
	"""Pair names of two sides by a key (`left` / `right`: name -> key). Keys held by exactly one name on
	each side pair them; a key held by several names on either side pairs none of them and is reported.
	Returns (pairs left -> right, ambiguous left names, ambiguous right names)."""
	by_left: dict[str, list] = {}
	by_right: dict[str, list] = {}
	for name, key in left.items():
		if key:
			by_left.setdefault(key, []).append(name)
	for name, key in right.items():
		if key:
			by_right.setdefault(key, []).append(name)
	pairs, ambiguous_left, ambiguous_right = {}, [], []
	for key, names in by_left.items():
		others = by_right.get(key)
		if not others:
			continue
		if len(names) == 1 and len(others) == 1:
			pairs[names[0]] = others[0]
		else:
			ambiguous_left.extend(names)
			ambiguous_right.extend(others)
	return pairs, sorted(ambiguous_left), sorted(ambiguous_right)


@dataclass
class BackfillReport:
	"""Counts per kind ("customers", "contacts"): paired (by which rule), created on each side, and
	what could not be paired, with why."""

	paired: dict = field(default_factory=dict)  # kind -> {rule: count}
	created: dict = field(default_factory=dict)  # kind -> {"crm": n, "erp": n}
	unpaired: list = field(default_factory=list)  # (kind, doctype, name, reason)

	def add_paired(self, kind: str, rule: str, count: int) -> None:
		self.paired.setdefault(kind, {})
		self.paired[kind][rule] = self.paired[kind].get(rule, 0) + count

	def add_created(self, kind: str, side: str, count: int) -> None:
		self.created.setdefault(kind, {"crm": 0, "erp": 0})
		self.created[kind][side] += count

	def as_text(self) -> str:
		lines = []
		for kind in sorted(set(self.paired) | set(self.created)):
			rules = ", ".join(f"{n} by {rule}" for rule, n in sorted(self.paired.get(kind, {}).items()))
			made = self.created.get(kind, {"crm": 0, "erp": 0})
			lines.append(
				f"{kind}: paired {rules or 'none'}; created {made['crm']} in the CRM, {made['erp']} on the other side"
			)
		lines.append(f"not paired: {len(self.unpaired)}")
		lines.extend(
			f"  {kind} {doctype} {name}: {reason}" for kind, doctype, name, reason in self.unpaired[:200]
		)
		return "\n".join(lines)
