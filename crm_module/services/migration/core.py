"""What both migrations share (issue 12): the link back to the source record, the create / update / skip
decision, writing the records, owners and contact points.

New records of a step go to the set-based import engine (`migrate_many` -> `services.imports.engine.
import_rows` with `migrating=True`), which holds every row to the rules of a form save and writes
batches of 2,000 with one commit each; the link back to each source record (CRM Source Link) is stored
in the batch's own transaction, so a run stopped half-way leaves whole batches with their links, and
running it again skips what is stored. A row the engine refuses is reported as skipped with its reason.
`migrating` switches off what a migration does not want: the owner's assignment (ToDo), default owners
and routing, the duplicate guard (source systems keep a lead and the contact it became side by side;
merge them afterwards with the merge tool), and per-batch scoring.

Records changed in the source since the last run, pipeline stages, and every record of a dry run are
written one by one through the ORM (`migrate`) under a savepoint, with their controller's validation on
(`ignore_permissions`, after `services.migration.run_migration` checked that the caller is a CRM
Manager). Per-row side effects that a migration does not want are switched off with document flags:

* ``crm_migrating``: no assignment ToDo / notification for a lead's owner (CRM Sales Lead.on_update), no
  ERPNext draft for an opportunity migrated as won (services/integrations/erpnext_handoff.py);
* ``ignore_duplicates``: the email / phone duplicate guard (source systems keep a lead and the contact it
  became side by side; merge them afterwards with the merge tool);
* ``crm_system_update``: the app-maintained fields a migration sets (conversion links, ERPNext customer).

Scores are computed once at the end for the migrated leads (`scoring.score_leads`); the access index is
kept by the doc_events of every insert, so nothing is left to refresh.
"""

import sys
from collections import defaultdict
from collections.abc import Callable
from itertools import count

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime, strip_html

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.domain import migration_map as mm
from crm_module.domain.contact_points import normalize_email, normalize_phone
from crm_module.services import bulk
from crm_module.services.contact_points import default_region
from crm_module.services.imports.checks import crm_users
from crm_module.services.imports.engine import import_rows
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.transactions import fatal_db_error, savepoint

ADOPT = "__adopt__"
LINK_FIELDS = ("source_app", "target_doctype", "target_name", "source_modified", "migrated_on")
# build() returns {JOIN: name} for a source record that is the same as `name`, a record already there (the
# same person met again): the link back is stored, nothing is written, and the report counts it as joined
JOIN = "__join__"
# {JOIN_SOURCE: (source key, source name)}: the same as the record another source record of this run
# becomes (met earlier in the same step, maybe not written yet); linked once that one is written
JOIN_SOURCE = "__join_source__"


class SkipRecord(Exception):
	"""A source record that cannot be mapped; the message is the reason reported."""


class Link:
	"""A CRM Source Link as a run keeps it (hundreds of thousands of them: slots, not dicts); `exists`:
	its target is there."""

	__slots__ = ("exists", "name", "source_modified", "target_doctype", "target_name")

	def __init__(self, name, target_doctype, target_name, source_modified, exists=True):
		self.name, self.target_doctype, self.target_name = name, target_doctype, target_name
		self.source_modified, self.exists = source_modified, exists


class Migration:
	"""One run: the report, the link-back cache and the helpers the source-specific runners use."""

	def __init__(self, source_app: str, dry_run: bool = False, publish: bool = False):
		self.source_app = source_app
		self.report = mm.MigrationReport(source_app, dry_run)
		self.publish = publish
		self.links: dict[str, dict[str, Link]] = {}
		# owners a record may have: enabled users with a CRM role (what the import engine accepts)
		enabled = set(frappe.get_all("User", filters={"enabled": 1}, pluck="name"))
		self.enabled_users = set(crm_users(enabled).values())
		self.region = default_region()
		self.touched_leads: list[str] = []
		self.pending_links: dict[str, dict] = {}  # links to insert at the next flush, by name
		self.state: dict = {}  # what a runner's steps compute once per run and share
		self.columns: dict[tuple[str, str], dict] = {}  # (doctype, field) -> {name: value}, per step

	# ------------------------------------------------------------------ links back to the source

	def load_links(self, source_doctype: str) -> dict[str, "Link"]:
		"""The links of `source_doctype` by source name, read once per run with which of their targets
		still exist (one query per target doctype and chunk, not one per lookup)."""
		if source_doctype not in self.links:
			rows = frappe.get_all(
				constants.SOURCE_LINK,
				filters={"source_doctype": source_doctype},
				fields=["name", "source_name", "target_doctype", "target_name", "source_modified"],
				as_list=True,
			)
			wanted = defaultdict(list)
			for row in rows:
				wanted[row[2]].append(row[3])
			found = defaultdict(set)
			for doctype, names in wanted.items():
				for chunk in bulk.chunks(names, 5000):
					found[doctype].update(
						frappe.get_all(doctype, filters={"name": ("in", list(chunk))}, pluck="name")
					)
			self.links[source_doctype] = {
				source_name: Link(name, sys.intern(doctype), target, modified, target in found[doctype])
				for name, source_name, doctype, target, modified in rows
			}
		return self.links[source_doctype]

	def target(self, source_doctype: str, source_name: str | None) -> str | None:
		"""This app's record migrated from `source_doctype` `source_name` (None: not migrated, or gone)."""
		if not source_name:
			return None
		link = self.load_links(source_doctype).get(source_name)
		return link.target_name if link and link.exists else None

	def store_link(self, source_doctype: str, source, target_doctype: str, target_name: str) -> None:
		links = self.load_links(source_doctype)
		values = {
			"source_app": self.source_app,
			"target_doctype": target_doctype,
			"target_name": target_name,
			"source_modified": source.modified,
			"migrated_on": now_datetime(),
		}
		link = links.get(source.name)
		if link:
			if link.name in self.pending_links:
				self.pending_links[link.name].update(values)
			else:
				frappe.db.set_value(constants.SOURCE_LINK, link.name, values)
			link.target_doctype, link.target_name = target_doctype, target_name
			link.source_modified, link.exists = source.modified, True
			return
		name = frappe.generate_hash(length=10)
		self.pending_links[name] = {"source_doctype": source_doctype, "source_name": source.name, **values}
		links[source.name] = Link(name, target_doctype, target_name, source.modified)

	def flush_links(self) -> None:
		"""Insert the links stored since the last flush, in multi-row inserts (a CRM Source Link has no
		controller logic; one ORM insert per migrated record cost a quarter of a migration's time)."""
		if not self.pending_links:
			return
		fields = ["source_doctype", "source_name", *LINK_FIELDS]
		now, user = now_datetime(), frappe.session.user
		bulk.insert_rows(
			constants.SOURCE_LINK,
			[*bulk.STANDARD, *fields],
			[
				(name, now, now, user, user, 0, 0, *(row[f] for f in fields))
				for name, row in self.pending_links.items()
			],
		)
		self.pending_links.clear()

	# ------------------------------------------------------------------ one record

	def migrate(
		self,
		source_doctype: str,
		source,
		target_doctype: str,
		build: Callable[[frappe._dict, list[str]], dict],
		after: Callable | None = None,
	) -> str | None:
		"""Create, update or skip the record for `source` (a dict with at least name and modified).

		`build(source, notes)` returns the target's field values (child tables as lists of dicts), or
		{JOIN: name} to link the source to `name`, a record already there, without writing; or it raises
		SkipRecord. `notes` collects what was left out, reported when the record is written. `after(doc)`
		runs after the write, in the same savepoint. Returns the target's name (None when skipped without
		one)."""
		source.name = str(source.name)  # CRM Task names are integers
		action, target_name = self.decide(source_doctype, source)
		if action == mm.SKIP:
			self.report.unchanged(source_doctype)
			return target_name
		notes: list[str] = []
		try:
			with savepoint("crm_migrate_row"):
				values = build(source, notes)
				joined = values.pop(JOIN, None) or self.joined_source(values.pop(JOIN_SOURCE, None))
				# a record of the same identity made before the link existed (a stage of the same name) is
				# adopted
				adopt = values.pop(ADOPT, None)
				doc = None
				if not joined:
					doc = write(target_doctype, target_name if action == mm.UPDATE else adopt, values)
					if after:
						after(doc)
				self.store_link(source_doctype, source, target_doctype, joined or doc.name)
		except SkipRecord as reason:
			self.report.skipped(source_doctype, source.name, str(reason))
			return target_name
		except Exception as error:
			if fatal_db_error(error):  # the run's transaction is gone: no row can be reported as skipped
				raise
			self.report.skipped(source_doctype, source.name, describe_error(error))
			return target_name
		if joined:
			self.report.joined(source_doctype)
		elif action == mm.CREATE:
			self.report.created(source_doctype)
		else:
			self.report.updated(source_doctype)
		for note in notes:
			self.report.note(source_doctype, source.name, note(joined) if callable(note) else note)
		if joined:
			return joined
		if target_doctype == constants.LEAD:
			self.touched_leads.append(doc.name)
		return doc.name

	def joined_source(self, same_as: tuple[str, str] | None) -> str | None:
		"""The target of the source record `same_as` (key, name); SkipRecord when it has none."""
		if not same_as:
			return None
		target = self.target(*same_as)
		if not target:
			raise SkipRecord(f"the same as {same_as[0]} {same_as[1]}, which was not migrated")
		return target

	# ------------------------------------------------------------------ many records

	def migrate_many(
		self,
		source_doctype: str,
		sources,
		target_doctype: str,
		build: Callable[[frappe._dict, list[str]], dict],
		after: Callable[[frappe._dict, str], None] | None = None,
	) -> None:
		"""`migrate` for every source record of a step: the new records go to the import engine in
		batches (one transaction each, with their links back); changed ones are updated one by one.
		`after(source, target name)` runs for each record written. A dry run takes `migrate` for all."""
		if self.report.dry_run:
			for source in sources:
				self.migrate(source_doctype, source, target_doctype, build, per_doc(after, source))
			return
		self.flush_links()
		pending: dict[int, tuple] = {}  # engine row number -> (source, notes)
		later: list[tuple] = []  # (source, (key, name) it is the same as, notes)
		numbers = count(1)  # the engine numbers the rows from 1, in order

		def rows():
			for source in sources:
				source.name = str(source.name)
				action, _target = self.decide(source_doctype, source)
				if action == mm.SKIP:
					self.report.unchanged(source_doctype)
					continue
				if action == mm.UPDATE:
					self.migrate(source_doctype, source, target_doctype, build, per_doc(after, source))
					continue
				notes: list[str] = []
				try:
					values = build(source, notes)
				except SkipRecord as reason:
					self.report.skipped(source_doctype, source.name, str(reason))
					continue
				except Exception as error:
					if fatal_db_error(error):
						raise
					self.report.skipped(source_doctype, source.name, describe_error(error))
					continue
				if values.get(JOIN):
					self.store_link(source_doctype, source, target_doctype, values[JOIN])
					self.reported(source_doctype, source, notes, joined=values[JOIN])
				elif values.get(JOIN_SOURCE):
					later.append((source, values[JOIN_SOURCE], notes))
				else:
					values.pop(ADOPT, None)
					pending[next(numbers)] = (source, notes)
					yield values

		def listen(events: list[tuple]) -> None:
			created = [(number, name) for number, action, name, _notes in events if action == "created"]
			for number, action, _name, refusals in events:
				if action == "refused":
					source, _notes = pending.pop(number)
					reason = "; ".join(r.reason for r in refusals)
					self.report.skipped(source_doctype, source.name, reason)
			try:  # in the batch's transaction: the records and their links are stored together
				for number, name in created:
					self.store_link(source_doctype, pending[number][0], target_doctype, name)
				self.flush_links()
			except Exception:
				self.pending_links.clear()
				self.links.pop(source_doctype, None)  # read again: this batch is rolled back
				raise
			for number, name in created:
				source, notes = pending.pop(number)
				self.reported(source_doctype, source, notes)
				if target_doctype == constants.LEAD:
					self.touched_leads.append(name)
				if after:
					after(source, name)

		import_rows(
			target_doctype, rows(), key="name", check_permission=False, listener=listen, migrating=True
		)
		for source, same_as, notes in later:
			target = self.target(*same_as)
			if target:
				self.store_link(source_doctype, source, target_doctype, target)
				self.reported(source_doctype, source, notes, joined=target)
			else:
				reason = f"the same as {same_as[0]} {same_as[1]}, which was not migrated"
				self.report.skipped(source_doctype, source.name, reason)
		self.flush_links()

	def decide(self, source_doctype: str, source) -> tuple[str, str | None]:
		"""(create / update / skip, the current target) for a source record, from its link back."""
		link = self.load_links(source_doctype).get(source.name)
		target_name = self.target(source_doctype, source.name)
		action = mm.decide(
			get_datetime(link.source_modified) if link and link.source_modified else None,
			get_datetime(source.modified),
			bool(target_name),
		)
		return action, target_name

	def reported(self, source_doctype: str, source, notes: list, joined: str | None = None) -> None:
		"""Count a record created (or `joined` to a record already there) and report its notes (a note
		may be a function of the joined record's name, known only once it is written)."""
		if joined:
			self.report.joined(source_doctype)
		else:
			self.report.created(source_doctype)
		for note in notes:
			self.report.note(source_doctype, source.name, note(joined) if callable(note) else note)

	# ------------------------------------------------------------------ field helpers

	def owner(self, notes: list[str], *candidates: str | None, assign: str | None = None) -> str:
		"""The first enabled user among the candidates and the `_assign` users; "" (and a note) otherwise."""
		user, note = mm.pick_owner([*candidates, *mm.assignees(assign)], self.enabled_users)
		if note:
			notes.append(note)
		return user or ""

	def email(self, value: str | None, notes: list[str], label: str = "email") -> str | None:
		if not (value or "").strip():
			return None
		try:
			return normalize_email(value)
		except ValueError:
			notes.append(_("{0} '{1}' is not a valid email address: left out").format(label, value))
			return None

	def phone(self, value: str | None, notes: list[str], label: str = "phone") -> str | None:
		if not (value or "").strip():
			return None
		try:
			return normalize_phone(value, None, self.region)
		except ValueError:
			notes.append(_("{0} '{1}' is not a valid phone number: left out").format(label, value))
			return None

	def contact_points(self, emails: list[tuple[str, bool]], phones: list[tuple[str, bool, str]], notes):
		"""CRM Email Address / CRM Phone Number rows from (email, primary) and (phone, primary, type)."""
		email_rows = []
		for value, primary in mm.unique_points(
			[(self.email(v, notes) or "", p) for v, p in emails], key=lambda v: v.lower()
		):
			email_rows.append({"email_id": value, "is_primary": 1 if primary else 0, "email_type": "Work"})
		kinds = {}
		normalized = []
		for value, primary, kind in phones:
			number = self.phone(value, notes) or ""
			kinds.setdefault(number, kind)
			normalized.append((number, primary))
		phone_rows = [
			{"phone": value, "is_primary": 1 if primary else 0, "phone_type": kinds.get(value) or "Mobile"}
			for value, primary in mm.unique_points(normalized, key=lambda v: v)
		]
		return email_rows, phone_rows

	# ------------------------------------------------------------------ pipelines

	def ensure_pipeline(self, name: str, description: str) -> str:
		if not frappe.db.exists(constants.PIPELINE, name):
			frappe.get_doc(
				{"doctype": constants.PIPELINE, "pipeline_name": name, "description": description}
			).insert(ignore_permissions=True)
		return name

	def ensure_final_stages(self, pipeline: str, plans: list[mm.StagePlan]) -> None:
		"""The final Won / Lost stages the app adds to a migrated pipeline (not source records)."""
		for plan in plans:
			if plan.source is not None or stage_named(pipeline, plan.stage_name):
				continue
			if frappe.db.exists(constants.PIPELINE_STAGE, {"pipeline": pipeline, "outcome": plan.outcome}):
				continue
			stage_doc(pipeline, plan, free_order(pipeline, plan.order)).insert(ignore_permissions=True)
		clear_stage_cache()

	def final_stage(self, pipeline: str, outcome: str) -> str | None:
		return frappe.db.get_value(
			constants.PIPELINE_STAGE,
			{"pipeline": pipeline, "is_final": 1, "outcome": outcome},
			"name",
			order_by="stage_order asc",
		)

	def first_open_stage(self, pipeline: str) -> str | None:
		return frappe.db.get_value(
			constants.PIPELINE_STAGE,
			{"pipeline": pipeline, "is_final": 0},
			"name",
			order_by="stage_order asc",
		)

	def migrate_stages(
		self, pipeline: str, source_doctype: str, sources: dict, plans: list[mm.StagePlan]
	) -> None:
		"""The pipeline's stages from the source's stages (`sources` by name, `plans` from migration_map):
		each planned source stage adopts a stage of the same name, then the final Won / Lost are added."""
		for plan in plans:
			if plan.source is None:
				continue

			def build(source, notes, plan=plan):
				existing = self.target(source_doctype, source.name) or stage_named(pipeline, plan.stage_name)
				values = stage_values(pipeline, plan, free_order(pipeline, plan.order, existing))
				return {**values, ADOPT: existing}

			self.migrate(source_doctype, sources[plan.source], constants.PIPELINE_STAGE, build)
		self.ensure_final_stages(pipeline, plans)
		clear_stage_cache()

	def run_steps(self, steps: tuple[tuple[str, Callable], ...]) -> None:
		"""Run each (label, migrate(m)) step in order, publishing progress between them."""
		for step, (label, migrate) in enumerate(steps):
			self.progress(step, len(steps), label)
			self.run_step(migrate)
		self.progress(len(steps), len(steps), "Done")

	def run_step(self, migrate: Callable) -> None:
		self.columns.clear()  # what earlier steps wrote is read again
		migrate(self)
		self.flush_links()

	def value(self, doctype: str, name: str | None, fieldname: str):
		"""`fieldname` of `doctype` `name`, from one read of the whole column per step (a step asks it
		for many records: one query each cost a third of a step's time)."""
		if (doctype, fieldname) not in self.columns:
			rows = frappe.get_all(doctype, fields=["name", fieldname], as_list=True)
			self.columns[(doctype, fieldname)] = dict(rows)
		return self.columns[(doctype, fieldname)].get(name)

	def progress(self, step: int, steps: int, label: str) -> None:
		if self.publish:
			frappe.publish_progress(
				step * 100 / steps,
				title=_("Migrating from {0}").format(self.source_app),
				description=_(label),
			)


def per_doc(after: Callable | None, source) -> Callable | None:
	"""`after(source, name)` of `migrate_many` as the `after(doc)` of `migrate`."""
	return (lambda doc: after(source, doc.name)) if after else None


def write(doctype: str, name: str | None, values: dict):
	"""Insert (name None) or update `doctype` through the ORM with the migration's flags."""
	if name:
		doc = frappe.get_doc(doctype, name)
		doc.update(values)
	else:
		doc = frappe.get_doc({"doctype": doctype, **values})
	doc.flags.crm_system_update = True
	doc.flags.ignore_duplicates = True
	doc.flags.crm_migrating = True
	doc.flags.ignore_permissions = True
	if name:
		doc.save()
	else:
		doc.insert()
	forget_realtime_events()
	clear_defaulted_owner(doc, values)
	return doc


def forget_realtime_events() -> None:
	"""Drop the list / form refresh events queued for after the commit. A migration writes every record
	in one transaction; Frappe queues two events per record and compares each new one with the whole
	queue (quadratic: 12 s of 117 s for 2,000 leads). Open list views show the records when reloaded."""
	log = getattr(frappe.local, "_realtime_log", None)
	if log:
		log.clear()


# owner fields left empty on purpose (no enabled source owner) that a default fills on insert; an
# opportunity's owner is required by its controller and stays the migrating user's
EMPTY_OWNER_FIELDS = {constants.CUSTOMER: "account_owner", constants.LEAD: "lead_owner"}


def clear_defaulted_owner(doc, values: dict) -> None:
	fieldname = EMPTY_OWNER_FIELDS.get(doc.doctype)
	if not fieldname or values.get(fieldname) != "" or not doc.get(fieldname):
		return
	frappe.db.set_value(doc.doctype, doc.name, fieldname, None, update_modified=False)
	doc.set(fieldname, None)
	access_index.refresh(doc.doctype, [doc.name], cascade=True)


def describe_error(error: Exception) -> str:
	text = " ".join(strip_html(str(error) or error.__class__.__name__).split())
	return text or error.__class__.__name__


def stage_named(pipeline: str, stage_name: str) -> str | None:
	return frappe.db.get_value(
		constants.PIPELINE_STAGE, {"pipeline": pipeline, "stage_name": stage_name}, "name"
	)


def free_order(pipeline: str, wanted: int, name: str | None = None) -> int:
	"""`wanted` when no other stage of the pipeline has it, else the next free order after the highest."""
	taken = frappe.get_all(
		constants.PIPELINE_STAGE,
		filters={"pipeline": pipeline, "name": ("!=", name or "")},
		pluck="stage_order",
	)
	if wanted not in taken:
		return wanted
	return max(taken) + 1


def stage_doc(pipeline: str, plan: mm.StagePlan, order: int):
	return frappe.get_doc(stage_values(pipeline, plan, order) | {"doctype": constants.PIPELINE_STAGE})


def stage_values(pipeline: str, plan: mm.StagePlan, order: int) -> dict:
	return {
		"stage_name": plan.stage_name,
		"pipeline": pipeline,
		"stage_order": order,
		"probability": plan.probability,
		"is_final": 1 if plan.is_final else 0,
		"outcome": plan.outcome or "",
	}


def children(child_doctype: str, parent_doctype: str, fields: list[str], parents=None) -> dict[str, list]:
	"""Child rows of `parent_doctype` grouped by parent, in row order."""
	filters = {"parenttype": parent_doctype}
	if parents is not None:
		filters["parent"] = ("in", list(parents) or [""])
	grouped = defaultdict(list)
	for row in frappe.get_all(
		child_doctype, filters=filters, fields=["parent", *fields], order_by="parent asc, idx asc"
	):
		grouped[row.parent].append(row)
	return grouped


def existing_fields(doctype: str, wanted: list[str]) -> list[str]:
	"""The fields of `wanted` that `doctype` has (source apps differ between versions)."""
	meta = frappe.get_meta(doctype)
	return [f for f in wanted if f in ("name", "modified", "creation", "_assign") or meta.has_field(f)]


def source_pages(doctype: str, wanted: list[str], page: int = 10_000):
	"""`source_rows`, read `page` rows at a time (a step over 100,000 records holds a page, not all):
	the names in order first, then each page by name (an OFFSET page sorts the whole table each time)."""
	fields = existing_fields(doctype, ["name", "modified", *wanted])
	names = frappe.get_all(doctype, order_by="creation asc, name asc", pluck="name")
	for chunk in bulk.chunks(names, page):
		rows = {
			row.name: row for row in frappe.get_all(doctype, filters={"name": ("in", chunk)}, fields=fields)
		}
		yield from (rows[name] for name in chunk if name in rows)


def source_rows(doctype: str, wanted: list[str]) -> list:
	"""The source records of `doctype` (name, modified and those of `wanted` it has), oldest first."""
	fields = existing_fields(doctype, ["name", "modified", *wanted])
	return frappe.get_all(doctype, fields=fields, order_by="creation asc")
