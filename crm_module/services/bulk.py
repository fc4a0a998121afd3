"""Set-based write helpers for the daily jobs: reserve series names, replace one day's rows, bulk updates.

They bypass document controllers on purpose (the jobs write tens of thousands of rows); callers keep the
same invariants the controllers enforce (one row per record per day, parents follow their latest row).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Sum
from frappe.utils import now_datetime

from crm_module.services.reporting import cache as metrics_cache

CHUNK = 2000
STANDARD = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx")


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
	for i in range(0, len(items), size):
		yield items[i : i + size]


def run_chunked(query_for, names: list[str] | None) -> list[dict]:
	"""`query_for(None)` once for all records, or once per chunk of explicit names."""
	if names is None:
		return query_for(None).run(as_dict=True)
	rows = []
	for chunk in chunks(names):
		rows += query_for(list(chunk)).run(as_dict=True)
	return rows


def count_if(condition):
	"""SUM(CASE WHEN condition THEN 1 ELSE 0 END): a conditional count inside a grouped query."""
	return Sum(Case().when(condition, 1).else_(0))


def reserve_names(prefix: str, count: int, digits: int = 5) -> list[str]:
	"""Reserve `count` consecutive names of the naming series `prefix` (as `getseries` would, one by one)."""
	if count <= 0:
		return []
	series = frappe.qb.DocType("Series")
	row = frappe.qb.from_(series).select(series.current).where(series.name == prefix).for_update().run()
	start = int(row[0][0] or 0) if row else 0
	if row:
		frappe.qb.update(series).set(series.current, start + count).where(series.name == prefix).run()
	else:
		frappe.qb.into(series).columns("name", "current").insert(prefix, count).run()
	return [f"{prefix}{n:0{digits}d}" for n in range(start + 1, start + count + 1)]


def replace_day_rows(
	doctype: str, link_field: str, date_field: str, day: date, rows: list[dict], prefix: str
) -> dict[str, str]:
	"""Write one row per `row[link_field]` for `day`, replacing rows already stored for that day (keeping
	their names and creation). Returns {link value: row name}."""
	table = frappe.qb.DocType(doctype)
	existing: dict[str, tuple] = {}
	for keys in chunks([r[link_field] for r in rows]):
		found = (
			frappe.qb.from_(table)
			.select(table[link_field], table.name, table.creation, table.owner)
			.where((table[date_field] == day) & table[link_field].isin(list(keys)))
			.run()
		)
		existing.update({link: (name, creation, owner) for link, name, creation, owner in found})
	for names in chunks([v[0] for v in existing.values()]):
		frappe.qb.from_(table).delete().where(table.name.isin(list(names))).run()

	fresh = iter(reserve_names(prefix, sum(1 for r in rows if r[link_field] not in existing)))
	now, user = now_datetime(), frappe.session.user
	fields = [f for f in rows[0] if f not in STANDARD] if rows else []
	values, names = [], {}
	for row in rows:
		name, creation, owner = existing.get(row[link_field]) or (next(fresh), now, user)
		names[row[link_field]] = name
		values.append((name, creation, now, user, owner, 0, 0, *(row[f] for f in fields)))
	insert_rows(doctype, [*STANDARD, *fields], values)
	metrics_cache.invalidate()
	return names


def insert_rows(
	doctype: str,
	fields: Sequence[str],
	rows: Sequence[Sequence],
	chunk_size: int = CHUNK,
	ignore: bool = False,
) -> None:
	"""Insert many rows with one multi-row INSERT per chunk (`ignore`: INSERT IGNORE, rows that would
	break a unique key are left out).

	Like `frappe.db.bulk_insert`, without building a query-builder tree per value (which costs more than
	the database write at 100,000 rows). Values are escaped by the connection's own converter, each
	distinct value once per chunk (imports repeat dates, users, options and JSON factors on every row)."""
	columns = ", ".join(f"`{field}`" for field in fields)
	insert = "insert ignore" if ignore else "insert"
	for chunk in chunks(rows, chunk_size):
		literal = sql_literals()
		values = ",".join("(" + ",".join(map(literal, row)) + ")" for row in chunk)
		frappe.db.sql(f"{insert} into `tab{doctype}` ({columns}) values {values}")


def sql_in(values: Iterable) -> str:
	"""`(v1, v2, ...)`: values escaped as SQL literals for an IN list built into a statement (an IN list
	of 999 values costs the query builder more than the database spends answering it)."""
	literal = sql_literals()
	return "(" + ", ".join(map(literal, values)) + ")"


def sql_literals():
	"""`value -> SQL literal` of the database connection (pymysql's `literal`), memoised for hashable
	values (keyed with their type: 1, 1.0 and True are equal keys, not equal literals)."""
	escape = frappe.db._conn.literal
	known: dict = {}

	def literal(value) -> str:
		try:
			key = (value.__class__, value)
			text = known.get(key)
		except TypeError:  # unhashable
			return escape(value)
		if text is None:
			text = known[key] = escape(value)
		return text

	return literal


def insert_new_rows(
	doctype: str,
	fields: Sequence[str],
	rows: Iterable[Sequence],
	now=None,
	hash_length: int = 12,
	ignore: bool = False,
) -> int:
	"""Insert `rows` (values of `fields`) as new records with the standard columns filled: a random name
	of `hash_length`, `now` (default: now) as creation and modified, the session user as owner and
	modified_by (`insert_rows`). Returns the number of rows."""
	now, user = now or now_datetime(), frappe.session.user
	values = [(frappe.generate_hash(length=hash_length), now, now, user, user, 0, 0, *row) for row in rows]
	insert_rows(doctype, [*STANDARD, *fields], values, ignore=ignore)
	return len(values)


def update_values(doctype: str, updates: dict[str, dict], chunk_size: int = 1000) -> None:
	"""Set per-record values (`{name: {field: value}}`, same fields for every record) with one
	`UPDATE ... SET f = CASE name WHEN ...` per chunk, values passed as parameters; `modified` is left
	alone."""
	if not updates:
		return
	fields = list(next(iter(updates.values())))
	for names in chunks(list(updates), chunk_size):
		cases = " ".join(["when %s then %s"] * len(names))
		assignments = ", ".join(f"`{field}` = case `name` {cases} end" for field in fields)
		values = [value for field in fields for name in names for value in (name, updates[name][field])]
		frappe.db.sql(
			f"update `tab{doctype}` set {assignments} where `name` in ({', '.join(['%s'] * len(names))})",
			[*values, *names],
		)
	metrics_cache.invalidate()


def latest_rows(doctype: str, link_field: str, date_field: str, links: Iterable[str], before=None) -> dict:
	"""{link: row} of the latest row per link (optionally strictly before a date), one query per chunk."""
	table = frappe.qb.DocType(doctype)
	inner = frappe.qb.DocType(doctype).as_("inner_rows")
	out = {}
	for keys in chunks(list(links)):
		sub = frappe.qb.from_(inner).select(frappe.query_builder.functions.Max(inner[date_field]))
		sub = sub.where(inner[link_field] == table[link_field])
		if before is not None:
			sub = sub.where(inner[date_field] < before)
		rows = (
			frappe.qb.from_(table)
			.select("*")
			.where(table[link_field].isin(list(keys)) & (table[date_field] == sub))
			.run(as_dict=True)
		)
		out.update({r[link_field]: r for r in rows})
	return out
