"""Dataset L for benchmarks: a sales team with years of data, made with bulk inserts in minutes.

	bench --site <site> execute crm_module.benchmarks.dataset.make --kwargs "{'scale': 1.0}"
	bench --site <site> execute crm_module.benchmarks.dataset.remove

At scale 1.0: 20 reps, 100k customers, 200k contacts (each with an email row), 1M interactions, 100k leads,
100k opportunities, 300k timeline rows, open ToDo assignments on 5 % of the leads, tags and notes, with
creation dates spread over two years and every status and stage. Every row is named with the BENCH-
prefix (users: crm.bench.repN@example.com) so `remove` deletes exactly what `make` created.
"""

import random
import time

import frappe
from frappe.utils import add_days, add_to_date, now_datetime

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.domain.forecasting import forecast_amount
from crm_module.domain.statuses import LEAD_STATUSES
from crm_module.services.bulk import STANDARD
from crm_module.services.reporting import cache as metrics_cache

PREFIX = "BENCH-"
REPS = 20
DAYS = 730
CHUNK = 20_000
SOURCES = ("Website", "Referral", "Event", "Cold Call", "Partner", "Campaign", "")
INDUSTRIES = ("Technology", "Retail", "Healthcare", "Manufacturing", "Finance", "Logistics")
TYPES = ("Call", "Email", "Meeting", "Note", "Task", "SMS")
SENTIMENTS = ("Positive", "Neutral", "Negative")


def rep_email(i: int) -> str:
	return f"crm.bench.rep{i}@example.com"


def make(scale: float = 1.0, seed: int = 7, rep_count: int = REPS) -> dict:
	"""Create dataset L (times `scale`, owned by `rep_count` reps); returns the row counts. Run `remove` first to
	rebuild."""
	started = time.monotonic()
	rng = random.Random(seed)
	reps = make_reps(rep_count)
	n_customers = int(100_000 * scale)
	counts = {}
	counts["customers"] = insert(constants.CUSTOMER, customers(rng, n_customers, reps))
	counts["contacts"] = insert(constants.CONTACT, contacts(rng, n_customers))
	counts["email rows"] = insert(constants.EMAIL_ADDRESS, email_rows(n_customers))
	counts["leads"] = insert(constants.LEAD, leads(rng, int(100_000 * scale), reps))
	stages = stage_table()
	counts["opportunities"] = insert(
		constants.OPPORTUNITY, opportunities(rng, int(100_000 * scale), n_customers, reps, stages)
	)
	counts["interactions"] = insert(
		constants.INTERACTION, interactions(rng, int(1_000_000 * scale), n_customers, reps)
	)
	counts["timeline"] = insert(constants.TIMELINE, timeline(rng, int(300_000 * scale), n_customers, reps))
	counts["assignments"] = insert("ToDo", assignments(rng, int(100_000 * scale), reps))
	frappe.db.commit()
	counts["access index rows"] = sum(access_index.rebuild().values())  # rows inserted without hooks
	frappe.db.commit()
	metrics_cache.invalidate()
	counts["seconds"] = round(time.monotonic() - started, 1)
	print(counts)
	return counts


def remove() -> None:
	"""Delete every row `make` created (and the reps)."""
	for doctype in (
		constants.INTERACTION,
		constants.TIMELINE,
		constants.EMAIL_ADDRESS,
		constants.CONTACT,
		constants.OPPORTUNITY,
		constants.LEAD,
		constants.CUSTOMER,
	):
		frappe.db.sql(f"delete from `tab{doctype}` where name like %s", f"{PREFIX}%")
		frappe.db.commit()
	frappe.db.sql("delete from `tabToDo` where name like %s", f"{PREFIX}%")
	frappe.db.sql(f"delete from `tab{constants.RECORD_ACCESS}` where record_name like %s", f"{PREFIX}%")
	for i in range(REPS):
		if frappe.db.exists("User", rep_email(i)):
			frappe.delete_doc("User", rep_email(i), ignore_permissions=True, force=True)
	frappe.db.commit()
	metrics_cache.invalidate()


# ---------------------------------------------------------------- helpers


def make_reps(count: int = REPS) -> list[str]:
	reps = []
	for i in range(count):
		email = rep_email(i)
		if not frappe.db.exists("User", email):
			user = frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": f"Bench Rep {i}", "send_welcome_email": 0}
			)
			user.insert(ignore_permissions=True)
			user.add_roles(constants.ROLE_USER)
		reps.append(email)
	frappe.db.commit()
	return reps


def insert(doctype: str, rows) -> int:
	"""Bulk insert an iterator of (fields, values) pairs in chunks; returns the number of rows."""
	count, fields, batch = 0, None, []
	for fields_, values in rows:
		fields = fields_
		batch.append(values)
		if len(batch) >= CHUNK:
			frappe.db.bulk_insert(doctype, fields, batch, chunk_size=CHUNK)
			count += len(batch)
			batch = []
	if batch:
		frappe.db.bulk_insert(doctype, fields, batch, chunk_size=CHUNK)
		count += len(batch)
	frappe.db.commit()
	return count


def when(rng: random.Random):
	return add_to_date(now_datetime(), days=-rng.randrange(DAYS), minutes=-rng.randrange(1440))


def std(name: str, created, owner: str) -> tuple:
	return (name, created, created, owner, owner, 0, 0)


def customers(rng, n, reps):
	fields = [
		*STANDARD,
		"company_name",
		"status",
		"lifecycle_stage",
		"industry",
		"account_owner",
		"health_score",
		"risk_level",
	]
	for i in range(n):
		owner = reps[i % len(reps)]
		score = rng.randrange(101)
		risk = "Green" if score >= 70 else ("Yellow" if score >= 40 else "Red")
		yield (
			fields,
			(
				*std(f"{PREFIX}CUST-{i:07d}", when(rng), owner),
				f"Bench Company {i}",
				"Active" if rng.random() < 0.9 else "Inactive",
				rng.choice(("Lead", "Prospect", "Customer", "Customer", "Churned")),
				rng.choice(INDUSTRIES),
				owner,
				score,
				risk,
			),
		)


def contacts(rng, n_customers):
	fields = [*STANDARD, "first_name", "last_name", "full_name", "customer", "email_id", "is_primary"]
	for i in range(n_customers * 2):
		customer = i // 2
		created = when(rng)
		yield (
			fields,
			(
				*std(f"{PREFIX}CON-{i:07d}", created, "Administrator"),
				f"First{i}",
				f"Last{i}",
				f"First{i} Last{i}",
				f"{PREFIX}CUST-{customer:07d}",
				f"contact{i}@company{customer}.example.com",
				1 if i % 2 == 0 else 0,
			),
		)


def email_rows(n_customers):
	fields = [*STANDARD, "parent", "parenttype", "parentfield", "email_id", "is_primary", "email_type"]
	now = now_datetime()
	for i in range(n_customers * 2):
		yield (
			fields,
			(
				*std(f"{PREFIX}EM-{i:07d}", now, "Administrator"),
				f"{PREFIX}CON-{i:07d}",
				constants.CONTACT,
				"emails",
				f"contact{i}@company{i // 2}.example.com",
				1,
				"Work",
			),
		)


def leads(rng, n, reps):
	fields = [*STANDARD, "lead_name", "company_name", "email_id", "status", "source", "lead_owner"]
	for i in range(n):
		owner = reps[i % len(reps)]
		yield (
			fields,
			(
				*std(f"{PREFIX}LEAD-{i:07d}", when(rng), owner),
				f"Bench Lead {i}",
				f"Lead Company {i}",
				f"lead{i}@leads{i % 997}.example.com",
				rng.choice(LEAD_STATUSES),
				rng.choice(SOURCES) or None,
				owner,
			),
		)


def stage_table() -> list[dict]:
	return frappe.get_all(
		constants.PIPELINE_STAGE,
		filters={"pipeline": constants.DEFAULT_PIPELINE},
		fields=["name", "probability", "outcome"],
		order_by="stage_order asc",
	)


def opportunities(rng, n, n_customers, reps, stages):
	fields = [*STANDARD, "opportunity_name", "customer", "value", "currency", "stage", "pipeline"]
	fields += ["probability_percent", "status", "opportunity_owner", "forecast_amount", "actual_close_date"]
	fields += ["expected_close_date", "days_in_pipeline"]
	currency = frappe.db.get_default("currency") or "USD"
	for i in range(n):
		customer = rng.randrange(n_customers)
		owner = reps[customer % len(reps)]
		stage = rng.choice(stages)
		created = when(rng)
		value = round(rng.uniform(500, 250_000), 2)
		status = {"Won": "Won", "Lost": "Lost"}.get(stage.outcome or "", "Open")
		closed = add_days(created, rng.randrange(5, 120)) if status != "Open" else None
		yield (
			fields,
			(
				*std(f"{PREFIX}OPP-{i:07d}", created, owner),
				f"Bench Deal {i}",
				f"{PREFIX}CUST-{customer:07d}",
				value,
				currency,
				stage.name,
				constants.DEFAULT_PIPELINE,
				stage.probability,
				status,
				owner,
				forecast_amount(value, stage.probability or 0),
				closed,
				add_days(created, 60),
				rng.randrange(0, 400),
			),
		)


def interactions(rng, n, n_customers, reps):
	fields = [
		*STANDARD,
		"interaction_type",
		"subject",
		"interaction_date",
		"customer",
		"conducted_by",
		"sentiment",
	]
	fields += ["duration_minutes"]
	for i in range(n):
		customer = rng.randrange(n_customers)
		owner = reps[customer % len(reps)]
		created = when(rng)
		yield (
			fields,
			(
				*std(f"{PREFIX}INT-{i:08d}", created, owner),
				rng.choice(TYPES),
				f"Bench touch {i}",
				created,
				f"{PREFIX}CUST-{customer:07d}",
				owner,
				rng.choice(SENTIMENTS),
				rng.randrange(5, 90),
			),
		)


def timeline(rng, n, n_customers, reps):
	fields = [*STANDARD, "customer", "activity_type", "title", "activity_date", "performed_by"]
	for i in range(n):
		customer = rng.randrange(n_customers)
		owner = reps[customer % len(reps)]
		created = when(rng)
		yield (
			fields,
			(
				*std(f"{PREFIX}TL-{i:08d}", created, owner),
				f"{PREFIX}CUST-{customer:07d}",
				"Interaction",
				f"Bench activity {i}",
				created,
				owner,
			),
		)


def assignments(rng, n_leads, reps):
	"""Open ToDos on 5 % of the leads, allocated to another rep than the owner."""
	fields = [*STANDARD, "status", "allocated_to", "reference_type", "reference_name", "description", "date"]
	for i in range(0, n_leads, 20):
		assignee = reps[(i + 1) % len(reps)]
		created = when(rng)
		yield (
			fields,
			(
				*std(f"{PREFIX}TD-{i:07d}", created, "Administrator"),
				"Open",
				assignee,
				constants.LEAD,
				f"{PREFIX}LEAD-{i:07d}",
				"Bench assignment",
				created.date(),
			),
		)
