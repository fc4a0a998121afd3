"""Dashboard figures cached per user, dropped only for the users whose figures a write can change.

Each cached figure (`READS`: the dashboard's counts and sums, its latest interactions, the pipeline by stage,
the monthly trend) is stored under a key that carries *generations*, random tokens in Redis:

* one for everything (`GENERATION_KEY`), renewed by whatever can change anybody's figures: pipeline stages
  (hooks.py), teams (who reaches whose records), renames, deletions, a customer's name (shown in other
  records' figures), bulk jobs, imports and every `invalidate()` without a document;
* one per scope and source doctype (`crm_module:dash_gen:<scope>:<doctype>`), the scope being the user whose
  figures they are, or `managers` for every unrestricted user (they all see the same records).

A write to a record of a `FIGURE_SOURCES` doctype renews that doctype's generation for

* the users who reach the record: its rows in the access index (one indexed query, run after the index
  followed the write), its owner before the write (an owner change affects the old and the new owner), and
  whoever reached a parent it left;
* the team leads who reach any of them (`access.teams.team_reach_map`, inverted);
* the managers.

A write that changes who reaches the record (owner field, parent link) or an assignment (`invalidate_for_todo`)
moves the records hanging off it too: every source doctype of those scopes is renewed. Another rep's figures
stay cached: under 50 reps writing at once, a rep's dashboard is computed again only after a write it can see.

Renewing is deleting the generation now and again when the transaction ends (`crm_module.caching.drop`); the
next reader starts a new token. On a miss the figures are computed from a fresh snapshot (a GET request that
has written nothing ends its read transaction first, so the rows are read after the generations were), and
stored only when none of their generations changed meanwhile and, on a read replica, only when the replica
had applied everything the primary had committed (`crm_module.replica.may_cache`); otherwise they are
returned and not stored. The expiry only bounds memory: correctness never depends on it.

With the site config flag `crm_bench_cache_stats` set, hits and misses are counted in Redis (`stats()`, printed by
the load benchmark); without it nothing is counted.
"""

import frappe
import redis
from frappe.query_builder import DocType
from pypika.terms import Criterion
from redis.exceptions import ConnectionError as RedisConnectionError

from crm_module import caching, constants, replica
from crm_module.access.index import reach_fields
from crm_module.access.rules import RULES
from crm_module.access.teams import team_reach_map
from crm_module.access.users import is_unrestricted

GENERATION_KEY = "crm_module:dash_gen"
MANAGERS = "managers"  # the scope of every unrestricted user (no user id is a bare word)
EXPIRES_IN = 24 * 3600
STATS_KEY = "crm_module:dash_stats"
STATS_FLAG = "crm_bench_cache_stats"

# the doctypes the cached figures are computed from (`crm_module.services.reporting.metrics`); their writes
# invalidate (hooks.py), and so do assignments on them, which change who sees what
FIGURE_SOURCES = (constants.CUSTOMER, constants.LEAD, constants.OPPORTUNITY, constants.INTERACTION)
# what each cached figure reads besides pipeline stages (their changes renew everything)
READS = {
	"dashboard": (constants.CUSTOMER, constants.LEAD, constants.OPPORTUNITY),
	"recent_interactions": (constants.INTERACTION, constants.CUSTOMER),
	"pipeline": (constants.OPPORTUNITY,),
	"trend": (constants.OPPORTUNITY,),
}
# fields shown in the figures of *other* records (the customer's name next to its interactions and deals)
SHOWN_ELSEWHERE = {constants.CUSTOMER: ("company_name",)}


def scoped_key(scope: str, doctype: str) -> str:
	return f"{GENERATION_KEY}:{scope}:{frappe.scrub(doctype)}"


def scope_of(user: str) -> str:
	return MANAGERS if is_unrestricted(user) else user


def generation_keys(name: str, user: str) -> list[str]:
	"""The generations the cached figure `name` of `user` is stored under."""
	scope = scope_of(user)
	return [GENERATION_KEY, *(scoped_key(scope, doctype) for doctype in READS[name])]


def cached(name: str, user: str, compute, *args):
	"""`compute(*args)` for `user`, from the cache when nothing `name` reads changed for them since."""
	keys = generation_keys(name, user)
	try:
		generations = _generations(keys)
	except RedisConnectionError:
		return compute(*args)  # no Redis: nothing to read, nothing to store
	key = f"crm_module:{name}:{'.'.join(generations)}:{user}:{':'.join(str(a) for a in args)}"
	value = frappe.cache.get_value(key, expires=True)  # expires=True: no per-request memo of a miss
	_count(name, value is not None)
	if value is not None:
		return value
	_fresh_snapshot()
	fresh = replica.may_cache()  # after the generations, before computing
	value = compute(*args)
	if fresh and _unchanged(keys, generations):
		caching.store(key, value, ttl=EXPIRES_IN)
	return value


def _generations(keys: list[str], create: bool = True) -> list[str | None]:
	"""The current token of each generation key (one MGET); a missing one is started (SET NX)."""
	redis_keys = [frappe.cache.make_key(key) for key in keys]
	found = []
	for redis_key, value in zip(redis_keys, frappe.cache.mget(redis_keys), strict=True):
		if value is None and create:
			token = frappe.generate_hash(length=10)
			if frappe.cache.set(redis_key, token, nx=True, ex=EXPIRES_IN):
				value = token
			else:  # another reader started it meanwhile (or it was dropped again: then nobody reads this one)
				value = frappe.cache.get(redis_key) or token
		found.append(value.decode() if isinstance(value, bytes) else value)
	return found


def _unchanged(keys: list[str], generations: list[str | None]) -> bool:
	try:
		return _generations(keys, create=False) == generations
	except RedisConnectionError:
		return False


def _fresh_snapshot() -> None:
	"""In a GET request that has written nothing, end the read transaction: MariaDB fixes a transaction's
	snapshot at its first read, which may come from before a write whose generation drop the reader has seen
	(the generations are read later). The next query then reads everything committed by now."""
	request = getattr(frappe.local, "request", None)
	if getattr(request, "method", None) != "GET" or frappe.db.transaction_writes:
		return
	frappe.db.sql("rollback")
	frappe.db.begin()


def _count(name: str, hit: bool) -> None:
	if frappe.conf.get(STATS_FLAG):
		frappe.cache.hincrby(frappe.cache.make_key(STATS_KEY), f"{name}:{'hits' if hit else 'misses'}", 1)


def stats() -> dict[str, int]:
	"""Hits and misses counted since `reset_stats` while `crm_bench_cache_stats` was set, per figure."""
	counts = redis.Redis.hgetall(frappe.cache, frappe.cache.make_key(STATS_KEY))
	return {field.decode(): int(value) for field, value in sorted(counts.items())}


def reset_stats() -> None:
	frappe.cache.delete_value(STATS_KEY)


# ------------------------------------------------------------------ invalidation


def invalidate(*args, **_kwargs) -> None:
	"""Document hook (`on_change`, `on_trash`, `after_rename`) and job helper: renew the generations of the
	figures the write can change, now and again when the transaction ends. Without a document (bulk jobs,
	imports, team changes), for a pipeline stage, a rename, a deletion or a customer's new name: everybody's."""
	doc = args[0] if args else None
	method = args[1] if len(args) > 1 else None
	if doc is None or doc.doctype not in FIGURE_SOURCES or method in ("on_trash", "after_rename"):
		caching.drop(GENERATION_KEY)
		return
	before = doc.get_doc_before_save()
	if before is not None and any(
		before.get(field) != doc.get(field) for field in SHOWN_ELSEWHERE.get(doc.doctype, ())
	):
		caching.drop(GENERATION_KEY)
		return
	moved = before is not None and any(before.get(f) != doc.get(f) for f in reach_fields(doc.doctype))
	doctypes = FIGURE_SOURCES if moved else (doc.doctype,)
	drop_scopes(with_leads(reachers(doc, before)) | {MANAGERS}, doctypes)


def invalidate_for_todo(todo, method: str | None = None) -> None:
	"""An assignment changes what its assignee (and their leads) reach, the records hanging off it included."""
	before = todo.get_doc_before_save() if method != "on_trash" else None
	if todo.reference_type in FIGURE_SOURCES or (before and before.reference_type in FIGURE_SOURCES):
		invalidate_users({todo.allocated_to, before.allocated_to if before else None})


def invalidate_users(users, doctypes: tuple[str, ...] = FIGURE_SOURCES) -> None:
	"""Renew the figures of `users` and of their team leads (for code that changes who reaches a record
	without a document hook, e.g. an owner set with `frappe.db.set_value`)."""
	drop_scopes(with_leads({user for user in users if user}), doctypes)


def reachers(doc, before) -> set[str]:
	"""Who reaches `doc` now (its access-index rows) or reached it before this write (its old owner, and the
	reachers of a parent it left), in one query."""
	rule = RULES[doc.doctype]
	users = set()
	if rule.owner_field:
		users.update((doc.get(rule.owner_field), before.get(rule.owner_field) if before else None))
	if rule.creator_without_parent:
		users.add(doc.owner)
	records = [(doc.doctype, doc.name)]
	if before is not None:
		records += [
			(parent, before.get(link))
			for link, parent in rule.parents
			if before.get(link) and before.get(link) != doc.get(link)
		]
	access = DocType(constants.RECORD_ACCESS)
	found = (
		frappe.qb.from_(access)
		.select(access.user)
		.distinct()
		.where(
			Criterion.any(
				[(access.record_type == doctype) & (access.record_name == name) for doctype, name in records]
			)
		)
		.run(pluck=True)
	)
	return {user for user in (*users, *found) if user}


def with_leads(users: set[str]) -> set[str]:
	"""`users` and every team lead who reaches one of them."""
	return set(users) | {lead for lead, reached in team_reach_map().items() if not users.isdisjoint(reached)}


def drop_scopes(scopes: set[str], doctypes) -> None:
	keys = [scoped_key(scope, doctype) for scope in sorted(scopes) for doctype in doctypes]
	if keys:
		caching.drop(*keys)
