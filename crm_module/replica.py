"""Reads served by a read replica: whether the code runs on one, and whether what it computes there may be cached.

With ``read_from_replica`` in the site config, Frappe's ``@frappe.read_only()`` (every GET endpoint of the app
and Frappe's report runner) swaps ``frappe.local.db`` for a connection to the replica and keeps the primary in
``frappe.local.primary_db`` meanwhile. A replica applies the primary's transactions later: by milliseconds
normally, by as long as it likes when it falls behind. A write invalidates the app's caches at once and again
after its commit; a reader on a lagging replica that fills a cache after that would store figures that predate
the write under the current generation, and they would be served until the next write.

So a value computed on a replica is stored only when the replica had applied every transaction the primary had
committed when the cache was missed (`crm_module.domain.replication`); otherwise it is returned to the caller
and not stored. On the primary nothing changes.
"""

import frappe

from crm_module.domain.replication import caught_up


def on_replica() -> bool:
	"""True while `frappe.db` is a read replica's connection (inside ``@frappe.read_only()``)."""
	primary = getattr(frappe.local, "primary_db", None)
	return primary is not None and getattr(frappe.local, "db", None) is not primary


def may_cache() -> bool:
	"""True when a value computed from `frappe.db` from now on may be cached: it reads the primary, or a replica
	that has applied everything the primary had committed at this moment. Ask after reading the cache key (and
	its generation) and before computing."""
	if not on_replica():
		return True
	try:
		primary, replica = positions()
	except NotImplementedError:  # not MariaDB: no position to compare, do not trust the replica
		return False
	return caught_up(primary, replica)


def positions() -> tuple[str, str]:
	"""(the primary's last logged GTID position, the replica's last applied one); MariaDB only. Reading a
	system variable needs no privilege."""
	if frappe.db.db_type != "mariadb":
		raise NotImplementedError("replication positions are read from MariaDB only")
	# the primary first: whatever the replica has applied after this moment can only be more
	primary = frappe.local.primary_db.sql("select @@global.gtid_binlog_pos")[0][0]
	replica = frappe.db.sql("select @@global.gtid_slave_pos")[0][0]
	return primary or "", replica or ""
