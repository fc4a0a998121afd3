"""Demo data for a development site: a small sales team with a year of history.

	bench --site crm.localhost execute crm_module.setup.demo.make_demo
	bench --site crm.localhost execute crm_module.setup.demo.remove_demo

Three reps (rep1/rep2/rep3@demo.example.com) and a manager (manager@demo.example.com, also System
Manager), all with the password `DEMO_PASSWORD`, and the company in crm_module/setup/demo_plan.py:
60 customers in every health state with 12 months of daily health scores, 200 leads with weekly score
history, about 140 opportunities in the Default and Renewals pipelines with a year of won and lost deals,
2,500 interactions, notes with pins and @mentions, tags, assignments and follow-ups due today and
overdue; a sales team, a territory per rep and this month's and quarter's targets (demo_org.py).

* Quick: history rows are computed in Python (demo_history.py) and written set-based
  (`services/bulk.py`), then indexed for the row rules (`access.index.refresh`); documents are used
  where their controllers must run (users, the Renewals pipeline, tags, notes, assignments). The nightly
  jobs then score today's leads and health for the demo records, as they would overnight.
* Idempotent: a second run deletes the previous demo data and makes it again for today (same counts;
  the users are kept).
* Removable: every record is named DEMO-… or made by a demo user, and `remove_demo` deletes all of it,
  the Renewals pipeline and the users.
"""

from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils import cint, getdate, now_datetime, nowdate

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk
from crm_module.services.insights.health import compute_all_health_scores
from crm_module.services.insights.prediction import predict_leads, train_model
from crm_module.services.insights.scoring import score_leads
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.settings import get_health_weights, get_scoring_config
from crm_module.services.tags import recount_usage
from crm_module.setup import demo_history, demo_org, demo_plan
from crm_module.setup.install import ensure_currency, make_pipeline

DEMO_PASSWORD = "Demo@12345"
MANAGER = "manager@demo.example.com"
REPS = ("rep1@demo.example.com", "rep2@demo.example.com", "rep3@demo.example.com")
USERS = (MANAGER, *REPS)
NAMES = {
	MANAGER: ("Sam", "Okafor"),
	REPS[0]: ("Maya", "Chen"),
	REPS[1]: ("Leo", "Martins"),
	REPS[2]: ("Priya", "Nair"),
}
LIKE = f"{demo_plan.PREFIX}%"
RENEWALS = demo_plan.RENEWALS
# (stage name, order, probability %, expected cycle days, final, outcome)
RENEWAL_STAGES = (
	("Upcoming", 1, 60, 30, 0, ""),
	("In Review", 2, 75, 21, 0, ""),
	("Terms Sent", 3, 90, 14, 0, ""),
	("Renewed", 4, 100, 0, 1, "Won"),
	("Churned", 5, 0, 0, 1, "Lost"),
)
RENEWALS_DESCRIPTION = "Demo data: yearly renewals of existing customers (crm_module.setup.demo)"


def make_demo() -> dict:
	"""Create (or re-create for today) the demo data; returns the number of records of each kind."""
	complete_setup()
	currency = ensure_currency()
	frappe.db.commit()
	users = {email: make_user(email) for email in USERS}
	clear_demo_data()
	make_renewals_pipeline()
	frappe.db.commit()
	plan = demo_plan.build(
		getdate(nowdate()),
		now_datetime(),
		[(rep, users[rep]) for rep in REPS],
		(MANAGER, users[MANAGER]),
		stage_table(),
		currency,
	)
	write_records(plan)
	write_history(plan)
	write_tags(plan)
	write_notes(plan)
	write_assignments(plan)
	run_nightly_jobs(plan)
	demo_org.write_organisation(MANAGER, REPS, LIKE)
	metrics_cache.invalidate()
	frappe.db.commit()
	counts = demo_counts()
	print("demo data created: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
	return counts


def remove_demo() -> dict:
	"""Delete every demo record, the Renewals pipeline the demo made and the demo users."""
	clear_demo_data()
	demo_org.remove_organisation(REPS)
	remove_renewals_pipeline()
	# the address-book contacts Frappe makes for new users
	for contact in frappe.get_all(
		"Contact", or_filters={"user": ("in", USERS), "email_id": ("in", USERS)}, pluck="name"
	):
		frappe.delete_doc("Contact", contact, ignore_permissions=True, force=True)
	for user in (*REPS, MANAGER):  # the manager last: while it exists, the reps' deletion passes
		delete_user(user)
	frappe.db.delete(constants.RECORD_ACCESS, {"user": ("in", USERS)})
	train_model()  # the conversion model forgets the demo's leads
	metrics_cache.invalidate()
	frappe.db.commit()
	counts = demo_counts()
	print("demo data removed")
	return counts


def demo_counts() -> dict[str, int]:
	"""The demo records on the site, by kind."""
	like = {"name": ("like", LIKE)}
	return {
		"customers": frappe.db.count(constants.CUSTOMER, like),
		"contacts": frappe.db.count(constants.CONTACT, like),
		"leads": frappe.db.count(constants.LEAD, like),
		"opportunities": frappe.db.count(constants.OPPORTUNITY, like),
		"deal stage moves": frappe.db.count(constants.DEAL_STAGE, {"opportunity": ("like", LIKE)}),
		"interactions": frappe.db.count(constants.INTERACTION, like),
		"timeline entries": frappe.db.count(constants.TIMELINE, {"customer": ("like", LIKE)})
		+ frappe.db.count(constants.TIMELINE, {"customer": ("is", "not set"), "lead": ("like", LIKE)}),
		"health scores": frappe.db.count(constants.HEALTH_SCORE, {"customer": ("like", LIKE)}),
		"lead scores": frappe.db.count(constants.LEAD_SCORE, {"lead": ("like", LIKE)}),
		"notes": frappe.db.count(constants.NOTE, {"reference_name": ("like", LIKE)}),
		"tagged items": frappe.db.count(constants.TAGGED_ITEM, {"reference_name": ("like", LIKE)}),
		"assignments": frappe.db.count("ToDo", {"reference_name": ("like", LIKE), "status": "Open"}),
		"users": frappe.db.count("User", {"name": ("in", USERS)}),
		"targets": frappe.db.count(constants.SALES_TARGET, {"user": ("in", REPS)}),
		"territories": frappe.db.count(constants.TERRITORY, {"name": ("like", "Demo %")}),
	}


# ---------------------------------------------------------------------- site, users, pipeline


def complete_setup():
	"""Skip the setup wizard on a fresh dev site (language, country, time zone, currency)."""
	is_complete = getattr(frappe, "is_setup_complete", None)  # v16; v15 keeps a flag on System Settings
	if (
		is_complete()
		if is_complete
		else cint(frappe.db.get_single_value("System Settings", "setup_complete"))
	):
		return
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	setup_complete(
		{"language": "English", "country": "United States", "timezone": "America/New_York", "currency": "USD"}
	)


def make_user(email: str) -> str:
	"""A desk user (created once, with `DEMO_PASSWORD`) with exactly the demo roles; returns the full
	name. Email notifications are off: the addresses are not real."""
	first, last = NAMES[email]
	roles = (constants.ROLE_MANAGER, "System Manager") if email == MANAGER else (constants.ROLE_USER,)
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first,
				"last_name": last,
				"send_welcome_email": 0,
				"new_password": DEMO_PASSWORD,
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	if sorted(r.role for r in user.roles) != sorted(roles) or not user.enabled:
		user.enabled = 1
		user.set("roles", [])
		user.add_roles(*roles)  # saves
	if not frappe.db.exists("Notification Settings", email):
		settings = frappe.new_doc("Notification Settings")
		settings.name = email
		settings.insert(ignore_permissions=True)
	frappe.db.set_value("Notification Settings", email, "enable_email_notifications", 0)
	return f"{first} {last}"


def delete_user(email: str) -> None:
	"""Delete a demo user. Frappe refuses to delete any user while no System Manager other than
	Administrator would remain (`User.on_trash`), and the demo manager is often that one: Frappe made it
	a System Manager because the site had none. The site had none before the demo either, so for the
	demo's own users that check is lifted; everything else `User.on_trash` cleans up still runs."""
	if not frappe.db.exists("User", email):
		return
	from frappe.core.doctype.user.user import User

	with patch.object(User, "a_system_manager_should_exist", lambda self: None):
		frappe.delete_doc("User", email, ignore_permissions=True, force=True)
	frappe.db.delete("Notification Settings", {"name": email})


def make_renewals_pipeline():
	make_pipeline(RENEWALS, RENEWAL_STAGES, RENEWALS_DESCRIPTION)


def remove_renewals_pipeline():
	"""Delete the Renewals pipeline when the demo made it and nothing else uses it."""
	if frappe.db.get_value(constants.PIPELINE, RENEWALS, "description") != RENEWALS_DESCRIPTION:
		return
	if frappe.db.exists(constants.OPPORTUNITY, {"pipeline": RENEWALS}):
		return
	for stage in frappe.get_all(constants.PIPELINE_STAGE, filters={"pipeline": RENEWALS}, pluck="name"):
		frappe.delete_doc(constants.PIPELINE_STAGE, stage, ignore_permissions=True, force=True)
	frappe.delete_doc(constants.PIPELINE, RENEWALS, ignore_permissions=True, force=True)


def stage_table() -> dict[str, list[dict]]:
	"""{pipeline: its stages in order} for the two demo pipelines."""
	table = {}
	for pipeline in (constants.DEFAULT_PIPELINE, RENEWALS):
		table[pipeline] = frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": pipeline},
			fields=["name", "stage_name", "stage_order", "probability", "is_final", "outcome"],
			order_by="stage_order asc",
		)
	return table


# ---------------------------------------------------------------------- writing


def insert(doctype: str, rows: list[dict]) -> None:
	"""Insert plan rows (dicts with the same keys; keys starting with "_" are the plan's own)."""
	if not rows:
		return
	fields = [key for key in rows[0] if not key.startswith("_")]
	defaults = {"docstatus": 0, "idx": 0}
	fields += [key for key in defaults if key not in fields]
	bulk.insert_rows(doctype, fields, [[row.get(f, defaults.get(f)) for f in fields] for row in rows])


def write_records(plan: demo_plan.Plan) -> None:
	"""Customers, contacts, leads, opportunities, stage history, interactions and timeline, set-based,
	then the access index for them (they were written without their doc events)."""
	insert(constants.CUSTOMER, plan.customers)
	insert(constants.CONTACT, plan.contacts)
	insert(constants.EMAIL_ADDRESS, plan.emails)
	insert(constants.PHONE_NUMBER, plan.phones)
	insert(constants.LEAD, plan.leads)
	insert(constants.OPPORTUNITY, plan.opportunities)
	insert(constants.DEAL_STAGE, plan.deal_stages)
	insert(constants.INTERACTION, plan.interactions)
	insert(constants.TIMELINE, plan.timeline)
	records = {
		constants.CUSTOMER: plan.customers,
		constants.LEAD: plan.leads,
		constants.OPPORTUNITY: plan.opportunities,
		constants.CONTACT: plan.contacts,
		constants.INTERACTION: plan.interactions,
		constants.TIMELINE: plan.timeline,
	}
	for doctype in access_index.INDEXED:  # parents first: the index reads parents' rows
		access_index.refresh(doctype, [row["name"] for row in records.get(doctype, [])])


def write_history(plan: demo_plan.Plan) -> None:
	"""A year of daily health scores and weekly lead scores (before today); the records show their
	latest one until the nightly jobs below score today."""
	today = getdate(nowdate())
	health_rows, latest_health = demo_history.health_rows(plan, today, get_health_weights())
	insert(constants.HEALTH_SCORE, health_rows)
	bulk.update_values(
		constants.CUSTOMER,
		{
			customer: {
				"health_score": row["health_score"],
				"risk_level": row["risk_level"],
				"health_updated_on": row["score_date"],
			}
			for customer, row in latest_health.items()
		},
	)
	score_rows, latest_scores = demo_history.score_rows(plan, today, get_scoring_config())
	insert(constants.LEAD_SCORE, score_rows)
	bulk.update_values(
		constants.LEAD,
		{
			lead: {
				"latest_score": row["total_score"],
				"latest_grade": row["grade"],
				"scored_on": row["scoring_date"],
			}
			for lead, row in latest_scores.items()
		},
	)


def write_tags(plan: demo_plan.Plan) -> None:
	"""The demo's tags (made by the manager, so `remove_demo` knows them) and the tagged records."""
	with as_user(MANAGER):
		for tag_name, category, color, description in demo_plan.TAGS:
			if not frappe.db.exists(constants.TAG, tag_name):
				frappe.get_doc(
					{
						"doctype": constants.TAG,
						"tag_name": tag_name,
						"category": category,
						"color": color,
						"description": description,
					}
				).insert()
	insert(constants.TAGGED_ITEM, plan.tagged_items)
	recount_usage([tag[0] for tag in demo_plan.TAGS])


def write_notes(plan: demo_plan.Plan) -> None:
	"""Notes through their controller (mentions, notifications, timeline), written by their author and
	dated when the plan says."""
	note, timeline, log = (
		frappe.qb.DocType(constants.NOTE),
		frappe.qb.DocType(constants.TIMELINE),
		frappe.qb.DocType("Notification Log"),
	)
	for spec in plan.notes:
		with as_user(spec["author"]):
			doc = frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": spec["reference_doctype"],
					"reference_name": spec["reference_name"],
					"title": spec["title"],
					"note_type": spec["note_type"],
					"is_pinned": spec["is_pinned"],
					"content": spec["content"],
				}
			).insert()
		when = spec["when"]
		frappe.qb.update(note).set(note.creation, when).set(note.modified, when).where(
			note.name == doc.name
		).run()
		(
			frappe.qb.update(timeline)
			.set(timeline.creation, when)
			.set(timeline.modified, when)
			.set(timeline.activity_date, when)
			.where((timeline.reference_doctype == constants.NOTE) & (timeline.reference_name == doc.name))
		).run()
		frappe.qb.update(log).set(log.creation, when).set(log.modified, when).where(
			(log.document_type == constants.NOTE) & (log.document_name == doc.name)
		).run()
	# notes moved the customers' last activity to now: back to what the plan dates say
	bulk.update_values(
		constants.CUSTOMER,
		{c["name"]: {"last_activity_on": c["last_activity_on"]} for c in plan.customers},
	)


def write_assignments(plan: demo_plan.Plan) -> None:
	"""Open ToDos through their doc events (the records' assignees, the access index, lead owners):
	lead follow-ups due today and overdue, and accounts and deals a second rep helps with."""
	todo = frappe.qb.DocType("ToDo")
	for spec in plan.assignments:
		with as_user(spec["assigned_by"]):
			doc = frappe.get_doc(
				{
					"doctype": "ToDo",
					"status": "Open",
					"allocated_to": spec["allocated_to"],
					"reference_type": spec["reference_type"],
					"reference_name": spec["reference_name"],
					"date": spec["date"],
					"priority": spec["priority"],
					"description": spec["description"],
					"assigned_by": spec["assigned_by"],
				}
			).insert(ignore_permissions=True)
		frappe.qb.update(todo).set(todo.creation, spec["created"]).set(todo.modified, spec["created"]).where(
			todo.name == doc.name
		).run()


def run_nightly_jobs(plan: demo_plan.Plan) -> None:
	"""Today's lead scores, conversion predictions and customer health, by the nightly jobs' own code,
	for the demo records (today's rows continue the history without a jump)."""
	active = [lead["name"] for lead in plan.leads if lead["status"] in ("New", "Contacted", "Qualified")]
	score_leads(active)
	train_model()
	predict_leads(active)
	compute_all_health_scores(names=[c["name"] for c in plan.customers])


@contextmanager
def as_user(user: str):
	"""Act as `user` inside the block (ownership, permissions and notifications are theirs)."""
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


# ---------------------------------------------------------------------- removal


def clear_demo_data() -> None:
	"""Delete every demo record (set-based), leaving the users and the Renewals pipeline."""
	notes = frappe.get_all(
		constants.NOTE,
		or_filters={"reference_name": ("like", LIKE), "owner": ("in", USERS)},
		pluck="name",
	)
	timeline = frappe.qb.DocType(constants.TIMELINE)
	entries = (
		frappe.qb.from_(timeline)
		.select(timeline.name)
		.where(
			timeline.customer.like(LIKE)
			| timeline.lead.like(LIKE)
			| timeline.reference_name.like(LIKE)
			| timeline.name.like(LIKE)
		)
	).run(pluck=True)
	like = ("like", LIKE)
	for doctype, filters in (
		("ToDo", {"reference_name": like}),
		("Comment", {"reference_name": like}),
		("DocShare", {"share_name": like}),
		("Version", {"docname": like}),
		("Notification Log", {"document_name": like}),
		(constants.TAGGED_ITEM, {"reference_name": like}),
		(constants.HEALTH_SCORE, {"customer": like}),
		(constants.LEAD_SCORE, {"lead": like}),
		(constants.DEAL_STAGE, {"opportunity": like}),
		(constants.SEGMENT_MEMBER, {"customer": like}),
		(constants.INTERACTION, {"name": like}),
		(constants.EMAIL_ADDRESS, {"parent": like}),
		(constants.PHONE_NUMBER, {"parent": like}),
		(constants.CONTACT, {"name": like}),
		(constants.OPPORTUNITY, {"name": like}),
		(constants.LEAD, {"name": like}),
		(constants.CUSTOMER, {"name": like}),
		(constants.RECORD_ACCESS, {"record_name": like}),
	):
		frappe.db.delete(doctype, filters)
	for names in bulk.chunks(entries):
		frappe.db.delete(constants.TIMELINE, {"name": ("in", list(names))})
		access_index.forget(constants.TIMELINE, list(names))
	for names in bulk.chunks(notes):
		names = list(names)
		frappe.db.delete(constants.NOTE_MENTION, {"parent": ("in", names)})
		for doctype, field in (
			("Notification Log", "document_name"),
			("Comment", "reference_name"),
			("Version", "docname"),
			(constants.TAGGED_ITEM, "reference_name"),
		):
			frappe.db.delete(doctype, {field: ("in", names)})
		frappe.db.delete(constants.NOTE, {"name": ("in", names)})
	frappe.db.delete("ToDo", {"allocated_to": ("in", USERS)})
	frappe.db.delete("Notification Log", {"for_user": ("in", USERS)})
	# the demo's tags go once nothing carries them; tags someone else made only lose their demo items
	tags = [tag[0] for tag in demo_plan.TAGS]
	for tag in frappe.get_all(constants.TAG, filters={"name": ("in", tags), "owner": MANAGER}, pluck="name"):
		if not frappe.db.exists(constants.TAGGED_ITEM, {"tag": tag}):
			frappe.db.delete(constants.TAG, {"name": tag})
	recount_usage([tag for tag in tags if frappe.db.exists(constants.TAG, tag)])
	metrics_cache.invalidate()
	frappe.db.commit()
