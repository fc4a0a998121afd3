"""Automation rules: capture the changes rules listen to, find each rule's occurrences set-based, fire
its action once per occurrence and log it.

* Capture (`capture_event`, `on_change` of leads and opportunities): one small row in the
  CRM Automation Event queue per change, written only when an enabled rule listens to that event (the
  set of listened events is cached and dropped whenever a rule changes).
* Health turning Red and lead grade changes are written set-based by the nightly jobs (no document
  events): they are read from the history tables (CRM Customer Health Score, CRM Lead Score).
* Time events (no activity for N days, closing date passed) are states found by one query per rule.
* A run (`run_rules`, the daily job's ``automation`` step or a manager's Run Now) takes each enabled
  rule, lists its candidate occurrences, drops those already in the CRM Automation Log and keeps the
  records its conditions match: one query of the log and one `get_all` with the conditions per chunk of
  candidates, never one per record. The action then runs set-based (ToDos are inserted one per record),
  and a log row per (rule, record, event key) makes the next run skip the occurrence.
"""

from datetime import datetime, timedelta

import frappe
from frappe import _
from frappe.utils import add_days, get_datetime, getdate, now_datetime, today

from crm_module import caching, constants
from crm_module.domain import automation as rules_domain
from crm_module.services import bulk
from crm_module.services.automation.actions import TITLE_FIELDS, do_action, send_digests, write_log
from crm_module.services.automation.rules import value_fields
from crm_module.services.common import OWNER_FIELDS, require_manager
from crm_module.services.transactions import fatal_db_error, savepoint

LISTENED_KEY = "crm_module:automation:listened_events"
QUEUE_DAYS = 30  # captured changes are kept this long
LOOKBACK_DAYS = 7  # history events (Red, grade) older than this are not fired on
RUN_MARGIN = timedelta(days=1)  # queued events are re-read this far before the rule's last run


# ------------------------------------------------------------------ listened events and capture


def listened_events() -> frozenset[str]:
	"""Events at least one enabled rule listens to (cached until a rule changes)."""
	try:
		cached = caching.cached(
			LISTENED_KEY,
			lambda: sorted(
				set(frappe.get_all(constants.AUTOMATION_RULE, filters={"enabled": 1}, pluck="event"))
			),
		)
	except Exception as error:
		if frappe.db.is_table_missing(error):  # saves during a migrate, before the doctype exists
			return frozenset()
		raise
	return frozenset(cached)


def rules_changed(*_args, **_kwargs) -> None:
	"""Drop the cached listened events now and after the transaction commits."""
	caching.drop(LISTENED_KEY)


def capture_event(doc, method: str | None = None) -> None:
	"""`on_change` of leads and opportunities: queue the changes an enabled rule listens to."""
	if doc.flags.in_delete:
		return
	listened = listened_events()
	if not listened:
		return
	before = doc.get_doc_before_save()
	found = rules_domain.change_event(doc.doctype, before is None, before, doc, listened)
	if not found:
		return
	now = now_datetime()
	bulk.insert_new_rows(
		constants.AUTOMATION_EVENT,
		["event", "reference_doctype", "reference_name", "from_value", "to_value", "happened_on"],
		[(name, doc.doctype, doc.name, old, new, now) for name, old, new in found],
		now=now,
	)


def prune_queue() -> None:
	queue = frappe.qb.DocType(constants.AUTOMATION_EVENT)
	cutoff = now_datetime() - timedelta(days=QUEUE_DAYS)
	frappe.qb.from_(queue).delete().where(queue.happened_on < cutoff).run()


# ------------------------------------------------------------------ candidates


def queued_candidates(rule, since: datetime) -> list[dict]:
	queue = frappe.qb.DocType(constants.AUTOMATION_EVENT)
	rows = (
		frappe.qb.from_(queue)
		.select(queue.name.as_("queue"), queue.reference_name.as_("name"), queue.from_value, queue.to_value)
		.where(
			(queue.event == rule.event)
			& (queue.reference_doctype == rule.document_type)
			& (queue.happened_on >= since)
		)
		.orderby(queue.happened_on)
	).run(as_dict=True)
	rows = rules_domain.matching_events(rows, rule.from_value, rule.to_value)
	return [{"name": r["name"], "key": rules_domain.event_key(rule.event, r["queue"])} for r in rows]


def idle_candidates(rule) -> list[dict]:
	"""Open opportunities with no change and no interaction for `days` days (one query)."""
	cutoff = add_days(today(), 1 - int(rule.days))  # idle for N days: last activity on day - N or before
	rows = frappe.db.sql(
		f"""
		select o.`name`, greatest(o.`modified`, coalesce(i.`last`, o.`modified`)) as last_activity
		from `tab{constants.OPPORTUNITY}` o
		left join (
			select `opportunity`, max(`interaction_date`) as `last` from `tab{constants.INTERACTION}`
			where `opportunity` is not null and `opportunity` != '' group by `opportunity`
		) i on i.`opportunity` = o.`name`
		where o.`status` = 'Open' and o.`modified` < %(cutoff)s
			and (i.`last` is null or i.`last` < %(cutoff)s)
		""",
		{"cutoff": cutoff},
		as_dict=True,
	)
	return [{"name": r.name, "key": rules_domain.event_key(rule.event, r.last_activity)} for r in rows]


def closing_candidates(rule) -> list[dict]:
	opp = frappe.qb.DocType(constants.OPPORTUNITY)
	rows = (
		frappe.qb.from_(opp)
		.select(opp.name, opp.expected_close_date)
		.where((opp.status == "Open") & (opp.expected_close_date < today()))
	).run(as_dict=True)
	return [{"name": r.name, "key": rules_domain.event_key(rule.event, r.expected_close_date)} for r in rows]


def history_candidates(rule, since) -> list[dict]:
	"""Health turned Red / grade changed on a day >= `since`: the records whose current value can be such
	a change (Red customers; leads scored since), then their history rows in the window and the row
	just before it (two queries per chunk), compared in `domain.automation.transitions`."""
	if rule.event == "Customer Health Turned Red":
		parent, history, link, date_field, value_field = (
			constants.CUSTOMER,
			constants.HEALTH_SCORE,
			"customer",
			"score_date",
			"risk_level",
		)
		names = frappe.get_all(parent, filters={"risk_level": "Red"}, pluck="name", order_by="name")
		to_value, from_value, first_counts = "Red", None, True
	else:
		parent, history, link, date_field, value_field = (
			constants.LEAD,
			constants.LEAD_SCORE,
			"lead",
			"scoring_date",
			"grade",
		)
		filters = {"scored_on": (">=", since)}
		if rule.to_value:
			filters["latest_grade"] = rule.to_value
		names = frappe.get_all(parent, filters=filters, pluck="name", order_by="name")
		to_value, from_value, first_counts = rule.to_value, rule.from_value, False
	table = frappe.qb.DocType(history)
	found = []
	for chunk in bulk.chunks(names):
		rows = (
			frappe.qb.from_(table)
			.select(table[link].as_("link"), table[date_field].as_("day"), table[value_field].as_("value"))
			.where(table[link].isin(list(chunk)) & (table[date_field] >= since))
			.orderby(table[link])
			.orderby(table[date_field])
		).run(as_dict=True)
		by_record: dict[str, list] = {}
		for r in rows:
			by_record.setdefault(r.link, []).append((r.day, r.value))
		prior = {
			key: row[value_field]
			for key, row in bulk.latest_rows(history, link, date_field, list(by_record), before=since).items()
		}
		found += rules_domain.transitions(by_record, prior, to_value, from_value, first_counts)
	return [{"name": f["name"], "key": rules_domain.event_key(rule.event, f["day"])} for f in found]


def candidates(rule, now: datetime) -> list[dict]:
	"""[{name, key}] of the occurrences of the rule's event (not yet filtered by log or conditions)."""
	kind = rules_domain.event(rule.event).kind
	created = get_datetime(rule.creation)
	if kind == "queue":
		since = max(created, now - timedelta(days=QUEUE_DAYS))
		if rule.last_run_on:
			since = max(since, get_datetime(rule.last_run_on) - RUN_MARGIN)
		return queued_candidates(rule, since)
	if kind == "history":
		return history_candidates(rule, max(created.date(), getdate(add_days(now.date(), -LOOKBACK_DAYS))))
	if rule.event == "Opportunity Without Activity":
		return idle_candidates(rule)
	return closing_candidates(rule)


# ------------------------------------------------------------------ matching


def not_logged(rule, chunk: list[dict]) -> list[dict]:
	"""The candidates the rule has not fired on yet (one query)."""
	log = frappe.qb.DocType(constants.AUTOMATION_LOG)
	done = {
		(r[0], r[1])
		for r in (
			frappe.qb.from_(log)
			.select(log.reference_name, log.event_key)
			.where(
				(log.rule == rule.name)
				& (log.reference_doctype == rule.document_type)
				& log.reference_name.isin(list({c["name"] for c in chunk}))
			)
		).run()
	}
	return [c for c in chunk if (c["name"], c["key"]) not in done]


def record_fields(rule) -> list[str]:
	doctype = rule.document_type
	fields = ["name", "owner", OWNER_FIELDS[doctype], TITLE_FIELDS[doctype]]
	for template in (rule.todo_description, rule.message):
		fields += rules_domain.placeholders(template)
	known = set(value_fields(doctype)) | set(rules_domain.STANDARD_FIELDS)
	return [f for f in dict.fromkeys(fields) if f in known]


def matching_records(rule, filters: list, fields: list[str], chunk: list[dict]) -> dict[str, dict]:
	"""{name: record} of the chunk's records the conditions match (one `get_all`)."""
	names = list({c["name"] for c in chunk})
	rows = frappe.get_all(
		rule.document_type,
		filters=[*filters, ["name", "in", names]],
		fields=fields,
		limit_page_length=0,
	)
	return {r.name: r for r in rows}


# ------------------------------------------------------------------ runs


def run_rule(name: str) -> dict:
	"""Fire one rule on every occurrence it has not fired on yet; returns counts."""
	# Run Now and the daily job never run one rule at the same time: the second waits on this row lock
	frappe.db.sql(f"select `name` from `tab{constants.AUTOMATION_RULE}` where `name` = %s for update", name)
	rule = frappe.get_doc(constants.AUTOMATION_RULE, name)
	if not rule.enabled:
		return {"rule": name, "skipped": "disabled"}
	now = now_datetime()
	filters = rules_domain.translate_conditions(
		[row.as_dict() for row in rule.conditions], value_fields(rule.document_type)
	)
	fields = record_fields(rule)
	found = candidates(rule, now)
	fired, failed, digests = 0, 0, {}
	for chunk in bulk.chunks(found):
		fresh = not_logged(rule, list(chunk))
		if not fresh:
			continue
		records = matching_records(rule, filters, fields, fresh)
		hits = [c for c in fresh if c["name"] in records]
		if not hits:
			continue
		if rule.action in ("Create ToDo", "Notify Users"):  # per occurrence: two changes, two ToDos
			targets = [records[c["name"]] for c in hits]
		else:  # per record: set, tag or re-score once
			targets = list({c["name"]: records[c["name"]] for c in hits}.values())
		try:
			with savepoint("crm_automation_rule"):
				done, error = do_action(rule, targets, digests), None
		except Exception as exc:
			if fatal_db_error(exc):  # nothing to roll back to: the daily run fails and runs again
				raise
			frappe.log_error(title=_("Automation rule {0} failed").format(name))
			done, error = None, str(exc)[:1000] or exc.__class__.__name__
			failed += len(hits)
		write_log(rule, hits, done, error)
		fired += len(hits) if error is None else 0
	notified = send_digests(rule, digests)
	summary = _("{0}: {1} candidates, fired on {2}, {3} failed").format(
		frappe.utils.format_datetime(now), len(found), fired, failed
	)
	if notified:
		summary += " " + _("({0} notifications)").format(notified)
	rule.db_set({"last_run_on": now, "last_run_summary": summary}, update_modified=False)
	return {"rule": name, "candidates": len(found), "fired": fired, "failed": failed, "notified": notified}


def run_rules(rules: list[str] | str | None = None) -> dict:
	"""Daily job step (and Run Now): run the given rules (default: every enabled one), then prune the
	event queue."""
	if isinstance(rules, str):
		rules = frappe.parse_json(rules) if rules.startswith("[") else [rules]
	names = rules or frappe.get_all(
		constants.AUTOMATION_RULE, filters={"enabled": 1}, pluck="name", order_by="creation"
	)
	report = {name: run_rule(name) for name in names}
	if not rules:
		prune_queue()
	return report


def run_rule_now(rule: str) -> dict:
	"""Managers: run one rule in the background now (long queue)."""
	require_manager()
	if not isinstance(rule, str) or not frappe.db.exists(constants.AUTOMATION_RULE, rule):
		frappe.throw(_("Automation rule {0} not found").format(rule), frappe.DoesNotExistError)
	job = frappe.enqueue(
		"crm_module.services.automation.runs.run_rules",
		queue="long",
		timeout=3600,
		rules=[rule],
		now=bool(frappe.flags.in_test),
	)
	return {"queued": True, "rule": rule, "job_id": getattr(job, "id", None)}
