"""Benchmark (not a test): time lead scoring and customer health on generated data, and compare the
naive-Bayes conversion model with the rule-based fit score (AUC) on `synthetic_leads`.

	bench --site <site> execute crm_module.benchmarks.scoring_health.run --kwargs "{'sizes': '10000'}"

Generated rows are named with the BENCH- prefix, inserted with `frappe.db.bulk_insert` and deleted
afterwards (also when a step fails). Figures are printed; nothing is asserted.
"""

import random
import time

import frappe
from frappe.utils import add_to_date, now_datetime

from crm_module import constants
from crm_module.domain import fit_rules, predictive
from crm_module.services.bulk import STANDARD
from crm_module.services.insights import health, scoring

PREFIX = "BENCH-"
SOURCES = ("Website", "Referral", "Event", "Cold Call", "Partner")
SIZES = ("1-10", "11-50", "51-200", "201-500", "1000+")
TYPES = ("Call", "Email", "Meeting", "Note")
SENTIMENTS = ("Positive", "Neutral", "Negative", None)
INTERACTIONS_PER_RECORD = 3


def _standard(name: str, now) -> tuple:
	return (name, now, now, "Administrator", "Administrator", 0, 0)


def generate(n: int, seed: int = 0) -> None:
	"""n open leads and n customers, each with INTERACTIONS_PER_RECORD interactions in the last 120 days."""
	rng = random.Random(seed)
	now = now_datetime()
	leads = [
		(
			*_standard(f"{PREFIX}LEAD-{i:07d}", now),
			f"Bench Lead {i}",
			"New",
			rng.choice(SOURCES),
			rng.choice(SIZES),
			f"lead{i}@{rng.choice(('gmail.com', f'company{i % 500}.com'))}",
			rng.choice(("Technology", "Retail", None)),
		)
		for i in range(n)
	]
	lead_fields = ["lead_name", "status", "source", "company_size", "email_id", "industry"]
	frappe.db.bulk_insert(constants.LEAD, [*STANDARD, *lead_fields], leads)
	customers = [
		(*_standard(f"{PREFIX}CUST-{i:07d}", now), f"Bench Customer {i}", "Active", "Customer")
		for i in range(n)
	]
	frappe.db.bulk_insert(
		constants.CUSTOMER, [*STANDARD, "company_name", "status", "lifecycle_stage"], customers
	)
	interactions = []
	for i in range(n):
		for j in range(INTERACTIONS_PER_RECORD):
			link = {"lead": f"{PREFIX}LEAD-{i:07d}"} if j == 0 else {"customer": f"{PREFIX}CUST-{i:07d}"}
			interactions.append(
				(
					*_standard(f"{PREFIX}INT-{i:07d}-{j}", now),
					rng.choice(TYPES),
					"Bench interaction",
					add_to_date(now, days=-rng.randrange(120)),
					link.get("lead"),
					link.get("customer"),
					rng.choice(SENTIMENTS),
				)
			)
	fields = ["interaction_type", "subject", "interaction_date", "lead", "customer", "sentiment"]
	frappe.db.bulk_insert(constants.INTERACTION, [*STANDARD, *fields], interactions)


def cleanup() -> None:
	pattern = f"{PREFIX}%"
	for doctype, field in (
		(constants.LEAD_SCORE, "lead"),
		(constants.HEALTH_SCORE, "customer"),
		(constants.INTERACTION, "name"),
		(constants.LEAD, "name"),
		(constants.CUSTOMER, "name"),
	):
		table = frappe.qb.DocType(doctype)
		frappe.qb.from_(table).delete().where(table[field].like(pattern)).run()
	frappe.db.commit()


def _timed(label: str, rows: int, fn):
	start = time.perf_counter()
	result = fn()
	seconds = time.perf_counter() - start
	print(f"  {label:<28} {rows:>8} rows  {seconds:8.2f} s  {rows / seconds:10.0f} rows/s")
	return result


def auc_report(n: int = 6000, seed: int = 7) -> dict:
	"""Train on 2/3 of `synthetic_leads(n)`, report the AUC of the model and of the fit score on the rest."""
	leads = predictive.synthetic_leads(n, seed)
	cut = n * 2 // 3
	model = predictive.train(leads[:cut])
	test = leads[cut:]
	labels = [lead["status"] == "Converted" for lead in test]
	bayes = [predictive.predict(model, lead).probability for lead in test]
	fit = [fit_rules.fit_score(lead)[0] for lead in test]
	return {"naive_bayes": predictive.auc(labels, bayes), "fit_score": predictive.auc(labels, fit)}


def run(sizes: str = "10000,100000") -> None:
	for n in (int(s) for s in str(sizes).split(",") if s.strip()):
		print(f"size {n}: generating {n} leads, {n} customers, {n * INTERACTIONS_PER_RECORD} interactions")
		cleanup()
		try:
			_timed("generate (bulk_insert)", n * (2 + INTERACTIONS_PER_RECORD), lambda n=n: generate(n))
			leads = [f"{PREFIX}LEAD-{i:07d}" for i in range(n)]
			customers = [f"{PREFIX}CUST-{i:07d}" for i in range(n)]
			_timed("score leads", n, lambda leads=leads: scoring.score_leads(leads))
			_timed("rescore leads (same day)", n, lambda leads=leads: scoring.score_leads(leads))
			_timed("health scores", n, lambda cs=customers: health.compute_all_health_scores(names=cs))
			_timed(
				"health again (same day)", n, lambda cs=customers: health.compute_all_health_scores(names=cs)
			)
		finally:
			cleanup()
	report = auc_report()
	print(
		f"AUC on synthetic_leads (train 4000 / test 2000): naive Bayes {report['naive_bayes']:.3f}, "
		f"rule-based fit score {report['fit_score']:.3f}"
	)
