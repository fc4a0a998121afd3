"""My Day: one ranked list of what a rep should do today, from `crm_module.services.sales.my_day`'s facts.

Items and when they appear (``today`` is the day asked for):

* ``follow_up_overdue`` / ``follow_up_due``: an open lead's follow-up date has passed / falls within
  `HORIZON_DAYS` (today included);
* ``next_step_overdue`` / ``next_step_due``: the same for an interaction's next step date, as long as nothing
  was logged on the same record after that interaction (the service leaves those out);
* ``hot_lead_untouched``: an open lead graded A/B or with a predicted conversion of `HOT_CONVERSION` % or
  more, with no interaction for more than `UNTOUCHED_DAYS` days (never touched: counted from its creation);
* ``deal_no_next_step``: an open deal with no next step dated today or later;
* ``deal_close_date_passed``: an open deal whose expected close date is in the past;
* ``deal_stuck``: an open deal longer in its stage than the stage's usual time (the mean days deals spent in
  it, from deal-stage history);
* ``customer_turned_red``: an active customer Red today that was not Red at some point in the last 7 days;
* ``churn_jump``: churn risk of `CHURN_HIGH` % or more while health fell `HEALTH_DROP` points or more in 7
  days (churn probabilities keep no history; the health drop is what moves them);
* ``meeting_today``: a meeting (an interaction of type Meeting) dated today;
* ``target_gap``: the gap to this month's target, with the open deals closing this month that would fill it.

Score = expected value x urgency.

* Expected value: a deal's value x its probability; a lead's chance (predicted conversion, else the
  `GRADE_CHANCE` of its grade, else `DEFAULT_CHANCE`) x the expected deal size (mean won deal); a customer's
  churn risk (else 50 % when Red) x its won revenue of the last year (else the expected deal size); a next
  step or meeting takes the value of its deal or lead when known, else `DEFAULT_CHANCE` x the deal size;
  the target gap is the missing amount itself.
* Urgency: overdue ``2 + min(days, 30) / 10`` (2.1-5); due today 2; due in d days ``1 - d / 14``; close date
  passed ``1.5 + min(days, 30) / 20``; stuck ``1 + min(days / usual - 1, 2) / 2``; no next step 1; hot lead
  ``1 + min(days untouched - UNTOUCHED_DAYS, 30) / 30``; turned Red 2; churn jump 1.5; target gap ``1 + 2 x``
  the share of the month gone.

Meetings today always come first (by time), then the rest by score, highest first. Items about the same
record are merged into one: the best-scoring kind leads, every kind's reasons are kept. Each item carries
its ``reasons`` (templates with ``{0}`` arguments, `render` fills them) and its primary ``action``
(log_call / reschedule / move_stage / open) with the other ``actions`` offered.
"""

from datetime import date, datetime

HORIZON_DAYS = 7
# follow-ups and next steps overdue by more than this are no longer listed (stale: reschedule or drop them)
OVERDUE_WINDOW_DAYS = 90
UNTOUCHED_DAYS = 7
HOT_GRADES = frozenset({"A", "B"})
HOT_CONVERSION = 50
CHURN_HIGH = 50
HEALTH_DROP = 10
GRADE_CHANCE = {"A": 0.5, "B": 0.3, "C": 0.15, "D": 0.05}
DEFAULT_CHANCE = 0.1
RED_CHANCE = 0.5
LIMIT = 50

CALL, RESCHEDULE, STAGE, OPEN = "log_call", "reschedule", "move_stage", "open"
DUE, CALL_OPEN = (CALL, RESCHEDULE, OPEN), (CALL, OPEN)
ACTIONS = {
	**dict.fromkeys(("follow_up_overdue", "follow_up_due", "next_step_overdue", "next_step_due"), DUE),
	**dict.fromkeys(
		("hot_lead_untouched", "deal_no_next_step", "customer_turned_red", "churn_jump"), CALL_OPEN
	),
	"deal_close_date_passed": (RESCHEDULE, STAGE, CALL, OPEN),
	"deal_stuck": (STAGE, CALL, OPEN),
	"meeting_today": (OPEN, CALL),
	"target_gap": (OPEN,),
}


def as_day(value) -> date | None:
	if isinstance(value, datetime):
		return value.date()
	if isinstance(value, date):
		return value
	return date.fromisoformat(str(value)[:10]) if value else None


def money(amount) -> str:
	return f"{float(amount or 0):,.0f}"


def due_urgency(due: date, today: date) -> float:
	"""Overdue 2 + min(days, 30) / 10; today 2; in d days 1 - d / 14."""
	days = (today - due).days
	if days > 0:
		return 2 + min(days, 30) / 10
	return 2.0 if days == 0 else 1 - (-days) / 14


DUE_TEMPLATES = {  # overdue, today, later
	what: (
		f"{label} was due {{0}} ({{1}} days overdue)",
		f"{label} is due today",
		f"{label} is due {{0}} (in {{1}} days)",
	)
	for what, label in (("follow_up", "Follow-up"), ("next_step", "Next step"))
}


def due_reason(what: str, due: date, today: date) -> tuple:
	overdue, now, later = DUE_TEMPLATES[what]
	days = (today - due).days
	if days > 0:
		return (overdue, due.isoformat(), days)
	return (now,) if days == 0 else (later, due.isoformat(), -days)


def deal_value(deal: dict) -> float:
	return float(deal.get("value") or 0) * float(deal.get("probability") or 0) / 100


def lead_chance(lead: dict) -> float:
	predicted = float(lead.get("conversion_probability") or 0)
	if predicted:
		return predicted / 100
	return GRADE_CHANCE.get(lead.get("grade") or "", DEFAULT_CHANCE)


def item(kind: str, record: tuple, title: str, value: float, urgency: float, reasons: list, **extra):
	actions = ACTIONS[kind]
	return {
		"kind": kind,
		"kinds": [kind],
		"record_type": record[0],
		"name": record[1],
		"title": title,
		"value": round(value, 2),
		"urgency": round(urgency, 4),
		"score": round(value * urgency, 2),
		"reasons": reasons,
		"action": actions[0],
		"actions": list(actions),
		**extra,
	}


def lead_items(lead: dict, size: float, today: date) -> list[dict]:
	out, record = [], ("lead", lead["name"])
	value = lead_chance(lead) * size
	chance = round(lead_chance(lead) * 100)
	worth = ("Expected value {0} ({1} % chance x deal size {2})", money(value), chance, money(size))
	due = as_day(lead.get("follow_up_date"))
	if due and (due - today).days <= HORIZON_DAYS:
		kind = "follow_up_overdue" if due < today else "follow_up_due"
		reasons = [due_reason("follow_up", due, today), worth]
		out.append(item(kind, record, lead["title"], value, due_urgency(due, today), reasons, due=due))
	predicted = round(float(lead.get("conversion_probability") or 0))
	hot = (lead.get("grade") or "") in HOT_GRADES or predicted >= HOT_CONVERSION
	touched = as_day(lead.get("last_touch")) or as_day(lead.get("created"))
	idle = (today - touched).days if touched else None
	if hot and idle is not None and idle > UNTOUCHED_DAYS:
		why = ("Hot lead: grade {0}, predicted conversion {1} %", lead.get("grade") or "-", predicted)
		touch = (
			"No interaction for {0} days" if lead.get("last_touch") else "Never contacted ({0} days)",
			idle,
		)
		urgency = 1 + min(idle - UNTOUCHED_DAYS, 30) / 30
		out.append(item("hot_lead_untouched", record, lead["title"], value, urgency, [why, touch, worth]))
	return out


def deal_items(deal: dict, usual_days: dict, today: date) -> list[dict]:
	out, record = [], ("deal", deal["name"])
	value = deal_value(deal)
	percent = round(float(deal.get("probability") or 0))
	worth = ("Expected value {0} ({1} x {2} %)", money(value), money(deal.get("value")), percent)
	extra = {"next_stage": deal.get("next_stage"), "stage": deal.get("stage")}
	close = as_day(deal.get("expected_close_date"))
	if close and close < today:
		days = (today - close).days
		reasons = [("Expected close date {0} passed {1} days ago", close.isoformat(), days), worth]
		urgency = 1.5 + min(days, 30) / 20
		out.append(item("deal_close_date_passed", record, deal["title"], value, urgency, reasons, **extra))
	since = as_day(deal.get("stage_since"))
	usual = usual_days.get(deal.get("stage"))
	if since and usual:
		days = (today - since).days
		if days > usual:
			usual_text = ("Deals usually spend {0} days in a stage like this", round(usual, 1))
			reasons = [("{0} days in stage {1}", days, extra["stage"]), usual_text, worth]
			urgency = 1 + min(days / usual - 1, 2) / 2
			out.append(item("deal_stuck", record, deal["title"], value, urgency, reasons, **extra))
	next_step = as_day(deal.get("next_step_date"))
	if not next_step or next_step < today:
		reasons = [("No next step planned",), worth]
		out.append(item("deal_no_next_step", record, deal["title"], value, 1.0, reasons, **extra))
	return out


def customer_items(customer: dict, size: float) -> list[dict]:
	out, record = [], ("customer", customer["name"])
	churn = float(customer.get("churn_probability") or 0)
	red = customer.get("risk_level") == "Red"
	chance = churn / 100 if churn else (RED_CHANCE if red else 0)
	revenue = float(customer.get("revenue") or 0)
	value = chance * (revenue or size)
	basis = (money(revenue), "won in the last year") if revenue else (money(size), "expected deal size")
	worth = ("At stake {0} ({1} % churn risk x {2} {3})", money(value), round(chance * 100), *basis)
	if red and customer.get("red_since"):
		since = as_day(customer["red_since"]).isoformat()
		reasons = [("Health turned Red on {0} (score {1})", since, customer.get("health_score")), worth]
		out.append(item("customer_turned_red", record, customer["title"], value, 2.0, reasons))
	drop = -int(customer.get("health_change_7d") or 0)
	if churn >= CHURN_HIGH and drop >= HEALTH_DROP:
		reasons = [("Churn risk {0} % and health fell {1} points in 7 days", round(churn), drop), worth]
		out.append(item("churn_jump", record, customer["title"], value, 1.5, reasons))
	return out


def linked_value(row: dict, deals: dict, leads: dict, size: float) -> float:
	if row.get("opportunity") in deals:
		return deal_value(deals[row["opportunity"]])
	if row.get("lead") in leads:
		return lead_chance(leads[row["lead"]]) * size
	return DEFAULT_CHANCE * size


def step_items(step: dict, deals: dict, leads: dict, size: float, today: date) -> list[dict]:
	due = as_day(step.get("next_step_date"))
	if not due or (due - today).days > HORIZON_DAYS:
		return []
	kind = "next_step_overdue" if due < today else "next_step_due"
	reasons = [due_reason("next_step", due, today), ("Next step: {0}", step.get("next_step") or "-")]
	value = linked_value(step, deals, leads, size)
	extra = {"due": due, "about": step.get("about")}
	record = ("interaction", step["name"])
	return [item(kind, record, step["title"], value, due_urgency(due, today), reasons, **extra)]


def meeting_items(meeting: dict, deals: dict, leads: dict, size: float) -> list[dict]:
	at = meeting.get("at")
	reasons = [("Meeting today at {0}", at.strftime("%H:%M") if isinstance(at, datetime) else str(at or ""))]
	value = linked_value(meeting, deals, leads, size)
	extra = {"at": at, "about": meeting.get("about")}
	record = ("interaction", meeting["name"])
	return [item("meeting_today", record, meeting["title"], value, 10.0, reasons, **extra)]


def target_items(target: dict | None, deals: list[dict], today: date) -> list[dict]:
	"""The gap to the month's target and the open deals closing this month (largest expected value first)
	whose values add up to it."""
	if not target or float(target.get("gap") or 0) <= 0:
		return []
	gap, start, end = float(target["gap"]), as_day(target["period_start"]), as_day(target["period_end"])
	month = [d for d in deals if (c := as_day(d.get("expected_close_date"))) and start <= c <= end]
	closing, total = [], 0.0
	for deal in sorted(month, key=lambda d: (-deal_value(d), d["name"])):
		if total >= gap:
			break
		closing.append(deal["name"])
		total += float(deal.get("value") or 0)
	share = ((today - start).days + 1) / ((end - start).days + 1)
	amounts = money(gap), money(target.get("target_amount")), money(target.get("won"))
	reasons = [("{0} short of this month's target of {1} (won {2})", *amounts)]
	if closing:
		names = ", ".join(closing)
		reasons.append(
			("Winning these {0} deals closing this month would cover it: {1}", len(closing), names)
		)
	else:
		reasons.append(("No open deal is expected to close this month",))
	record = ("target", target.get("name") or "")
	return [item("target_gap", record, target.get("title") or "", gap, 1 + 2 * share, reasons, deals=closing)]


def merge(items: list[dict]) -> list[dict]:
	"""One item per record: the best-scoring kind leads; kinds, reasons and actions of the others follow."""
	by_record: dict[tuple, dict] = {}
	for entry in sorted(items, key=lambda i: -i["score"]):
		key = (entry["record_type"], entry["name"])
		if key not in by_record:
			by_record[key] = {**entry, **{k: list(entry[k]) for k in ("kinds", "reasons", "actions")}}
			continue
		kept = by_record[key]
		kept["kinds"].append(entry["kind"])
		kept["reasons"] += [r for r in entry["reasons"] if r not in kept["reasons"]]
		kept["actions"] += [a for a in entry["actions"] if a not in kept["actions"]]
		for field in ("due", "next_stage", "stage"):
			kept.setdefault(field, entry.get(field))
	return list(by_record.values())


def rank(facts: dict, today, limit: int = LIMIT) -> list[dict]:
	"""The ranked items (at most `limit`). `facts`: ``leads``, ``deals``, ``next_steps``, ``customers``,
	``meetings`` (lists of dicts, see the ``*_items`` functions), ``usual_days`` ({stage: days}),
	``deal_size`` (expected deal size) and ``target`` (or None). Optional: ``linked_deals`` (deals that are
	no item themselves but give a next step or meeting its value) and ``target_deals`` (the open deals
	that may fill the target's gap; all ``deals`` when absent)."""
	today = as_day(today)
	size = float(facts.get("deal_size") or 0)
	deals = {d["name"]: d for d in facts.get("deals") or []}
	leads = {lead["name"]: lead for lead in facts.get("leads") or []}
	items = []
	for lead in leads.values():
		items += lead_items(lead, size, today)
	for deal in deals.values():
		items += deal_items(deal, facts.get("usual_days") or {}, today)
	for customer in facts.get("customers") or []:
		items += customer_items(customer, size)
	known = {**{d["name"]: d for d in facts.get("linked_deals") or []}, **deals}
	for step in facts.get("next_steps") or []:
		items += step_items(step, known, leads, size, today)
	for meeting in facts.get("meetings") or []:
		items += meeting_items(meeting, known, leads, size)
	closing = facts["target_deals"] if "target_deals" in facts else list(deals.values())
	items += target_items(facts.get("target"), closing, today)
	merged = merge(items)
	merged.sort(key=order)
	return merged[:limit]


def order(entry: dict) -> tuple:
	"""Meetings today first, by time; then the highest score; ties by title and name."""
	meeting = entry["kind"] == "meeting_today"
	at = str(entry.get("at") or "") if meeting else ""
	return (not meeting, at, -entry["score"], entry["title"], entry["name"])


def render(reason: tuple, translate=lambda text: text) -> str:
	"""A reason as words: its template (translated by `translate`) filled with its arguments."""
	return translate(reason[0]).format(*reason[1:])
