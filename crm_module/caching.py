"""App caches that cannot serve stale rows.

Every app cache goes through here:

* `cached(key, generator)` reads a key (or one field of a hash) and fills it from `generator` on a miss, always
  with a time to live (`TTL`), the last resort should a drop ever be missed;
* `drop(*keys)` forgets keys **now and again after the transaction commits**. A reader that runs between the
  change and the commit still sees the old rows and may put them back in the cache; the second drop, after the
  commit, removes what it put there, so the next reader computes from the committed rows. A rollback drops
  them again too: whatever the writer's own transaction cached after the change is undone with it.

Frappe's own `frappe.cache` is used underneath (site-prefixed keys, pickled values). When Redis cannot be
reached every call here still answers: Frappe's wrapper treats a lost connection as a miss (reads) or a no-op
(writes, drops), and so does the expiry set here, so the app computes from the database instead of failing.
"""

from collections.abc import Callable
from typing import Any

import frappe
from redis.exceptions import ConnectionError as RedisConnectionError

from crm_module import replica

TTL = 600  # seconds; every app cache expires at the latest after this


def cached(key: str, generator: Callable[[], Any], *, field: str | None = None, ttl: int = TTL) -> Any:
	"""The cached value of `key` (or of `field` in the hash `key`); `generator()` on a miss, stored with `ttl`.
	A generator that returns None is asked again next time (None is never cached), and so is one that read a
	read replica lagging behind the primary (`crm_module.replica.may_cache`)."""
	value = frappe.cache.get_value(key, expires=True) if field is None else frappe.cache.hget(key, field)
	if value is None:
		fresh = replica.may_cache()
		value = generator()
		if value is not None and fresh:
			store(key, value, field=field, ttl=ttl)
	return value


def store(key: str, value: Any, *, field: str | None = None, ttl: int = TTL) -> None:
	if field is None:
		frappe.cache.set_value(key, value, expires_in_sec=ttl)
		return
	frappe.cache.hset(key, field, value)
	# a hash expires as a whole: set its TTL when it has none yet, so fields added later never extend it
	redis_key = frappe.cache.make_key(key)
	try:
		if frappe.cache.ttl(redis_key) < 0:
			frappe.cache.expire(redis_key, ttl)
	except RedisConnectionError:
		pass  # Redis is unreachable: `hset` stored nothing there, so nothing needs an expiry


def drop(*keys: str) -> None:
	"""Forget `keys` now and once more when the current transaction ends: after its commit (a concurrent
	reader may have cached the old rows meanwhile) or its rollback (the writer itself may have cached rows
	that are now undone)."""
	_drop(keys)
	db = getattr(frappe.local, "db", None)
	for callbacks in (getattr(db, "after_commit", None), getattr(db, "after_rollback", None)):
		if callbacks is not None:
			callbacks.add(lambda: _drop(keys))


def _drop(keys: tuple[str, ...]) -> None:
	frappe.cache.delete_value(list(keys))
