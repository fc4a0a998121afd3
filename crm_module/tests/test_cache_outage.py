"""With the Redis cache unreachable the app answers from the database: its caches neither raise nor serve
anything, and records written meanwhile count at once.

`frappe.cache` is pointed at a loopback port nobody listens on (Frappe's wrapper then treats reads as misses
and writes as no-ops). The fault tier (`scripts/fault_tier.sh`) does the same against a served site whose
Redis it kills.
"""

import socket
from contextlib import contextmanager
from unittest.mock import patch

import frappe
from frappe.utils.redis_wrapper import RedisWrapper

from crm_module import caching, constants
from crm_module.services import pipeline
from crm_module.services.reporting import metrics
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import as_user, make_customer, make_opportunity, manager


def closed_port() -> int:
	"""A loopback port that was free a moment ago (nothing listens on it)."""
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


@contextmanager
def redis_unreachable():
	"""`frappe.cache` talking to nobody, with the request's in-memory copies forgotten before and after."""
	dead = RedisWrapper.from_url(f"redis://127.0.0.1:{closed_port()}")
	frappe.local.cache.clear()
	try:
		with patch.object(frappe, "cache", dead):
			yield dead
	finally:
		frappe.local.cache.clear()


class TestRedisUnreachable(IntegrationTestCase):
	def test_app_caches_compute_instead_of_failing(self):
		calls = []

		def generator():
			calls.append(1)
			return ["computed"]

		with redis_unreachable() as dead:
			self.assertFalse(dead.connected())
			# a hash field (the pipeline stages' kind): the expiry set after `hset` used to raise here
			self.assertEqual(
				caching.cached("crm_module:test_outage_hash", generator, field="f"), ["computed"]
			)
			# a plain key is asked for again each time: nothing was stored
			self.assertEqual(caching.cached("crm_module:test_outage_key", generator), ["computed"])
			self.assertEqual(caching.cached("crm_module:test_outage_key", generator), ["computed"])
			caching.drop("crm_module:test_outage_hash", "crm_module:test_outage_key")
		self.assertEqual(len(calls), 3)

	def test_stages_dashboard_and_writes_without_redis(self):
		user = manager()
		with as_user(user):
			stages = pipeline.get_all_stages()
			before = metrics.get_dashboard(user)
			with redis_unreachable():
				self.assertEqual(pipeline.get_all_stages(), stages)
				self.assertEqual(metrics.get_dashboard(user), before)
				customer = make_customer("Outage Traders").name
				make_opportunity(customer, "Outage deal", value=1234)
				during = metrics.get_dashboard(user)
		self.assertEqual(during["total_customers"], before["total_customers"] + 1)
		self.assertEqual(during["open_opportunities"], before["open_opportunities"] + 1)
		self.assertEqual(during["pipeline_value"], before["pipeline_value"] + 1234)
		self.assertTrue(frappe.db.exists(constants.OPPORTUNITY, {"customer": customer}))
