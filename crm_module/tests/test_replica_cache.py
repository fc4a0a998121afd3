"""What is computed on a read replica that lags behind the primary is returned but never cached
(`crm_module.replica`): neither the dashboard figures (`services/reporting/cache.py`) nor any other app cache
(`crm_module.caching`).

Here the replica is simulated: with `frappe.local.primary_db` set to another connection, `frappe.db` counts as
the replica's (as inside `@frappe.read_only()` on a site with `read_from_replica`), and the GTID positions of
the two servers are given. A real primary and replica run in the replica tier (scripts/replica_tier.sh).
"""

from unittest.mock import patch

import frappe

from crm_module import caching, replica
from crm_module.services.reporting import cache as metrics_cache
from crm_module.tests.compat import IntegrationTestCase

LAGGING = ("0-1-120", "0-1-119")  # (primary, replica): one transaction not applied yet
CAUGHT_UP = ("0-1-120", "0-1-120")


class Computation:
	def __init__(self):
		self.calls = 0

	def __call__(self, *args):
		self.calls += 1
		return {"calls": self.calls, "args": list(args)}


class TestReplicaCache(IntegrationTestCase):
	def setUp(self):
		token = frappe.generate_hash(length=8)
		self.key = f"crm_module:test-replica:{token}"
		self.user = f"replica-{token}@example.com"  # a scope of its own: no other test's figures
		self.addCleanup(frappe.cache.delete_value, self.key)
		self.addCleanup(frappe.cache.delete_keys, f"crm_module:pipeline:*:{self.user}:")
		self.addCleanup(self.leave_replica)

	def on_replica(self, positions: tuple[str, str]) -> None:
		frappe.local.primary_db = object()  # anything but frappe.db: frappe.db is now the replica
		patcher = patch.object(replica, "positions", return_value=positions)
		patcher.start()
		self.addCleanup(patcher.stop)

	def leave_replica(self) -> None:
		if hasattr(frappe.local, "primary_db"):
			del frappe.local.primary_db

	def figures(self, compute):
		return metrics_cache.cached("pipeline", self.user, compute, "2024-01-01")

	def test_on_the_primary_figures_are_cached(self):
		compute = Computation()
		self.assertFalse(replica.on_replica())
		self.assertEqual(self.figures(compute), {"calls": 1, "args": ["2024-01-01"]})
		self.assertEqual(self.figures(compute), {"calls": 1, "args": ["2024-01-01"]})
		self.assertEqual(compute.calls, 1)

	def test_lagging_replica_figures_are_returned_not_cached(self):
		compute = Computation()
		self.on_replica(LAGGING)
		self.assertTrue(replica.on_replica())
		self.assertEqual(self.figures(compute)["calls"], 1)
		self.assertEqual(self.figures(compute)["calls"], 2)  # computed again: nothing was stored
		# once the replica has applied everything the primary had, its figures are cached
		replica.positions.return_value = CAUGHT_UP
		self.assertEqual(self.figures(compute)["calls"], 3)
		self.assertEqual(self.figures(compute)["calls"], 3)
		self.assertEqual(compute.calls, 3)

	def test_app_caches_skip_a_lagging_replica_too(self):
		generator = Computation()
		self.on_replica(LAGGING)
		self.assertEqual(caching.cached(self.key, generator)["calls"], 1)
		self.assertEqual(caching.cached(self.key, generator)["calls"], 2)
		self.assertIsNone(frappe.cache.get_value(self.key, expires=True))
		replica.positions.return_value = CAUGHT_UP
		self.assertEqual(caching.cached(self.key, generator)["calls"], 3)
		self.assertEqual(frappe.cache.get_value(self.key, expires=True)["calls"], 3)
		self.assertEqual(caching.cached(self.key, generator)["calls"], 3)

	def test_a_replica_whose_position_says_nothing_is_not_trusted(self):
		self.on_replica(("", ""))  # the primary logs no GTIDs (no binary log)
		self.assertFalse(replica.may_cache())

	def test_positions_are_read_from_mariadb_as_the_site_user(self):
		# the two system variables exist and need no privilege (the site's own account reads them)
		frappe.local.primary_db = frappe.local.db  # the connection itself (frappe.db is a proxy of it)
		primary, replica_position = replica.positions()
		self.assertIsInstance(primary, str)
		self.assertIsInstance(replica_position, str)
		self.assertFalse(replica.on_replica())  # the same connection: not a replica
