"""App caches cannot serve stale rows (crm_module/caching.py): team reach, pipeline stages, settings.

The race: a record changes, and before that transaction commits a concurrent reader misses the cache, reads
the committed (old) rows on its own connection and caches them. The drop after the commit removes what it
cached, so the next reader gets the new rows. The concurrent reader is real: FrappeTestCase's second
database connection, which sees only committed rows.

These tests commit (the second connection must see the "before" state, and the commit is what is under
test). Everything they commit has names of its own and is deleted and committed again in the clean-up, but
for their users (`crm.cache.*@example.com`, kept and reused: deleting a user touches many tables and
deadlocks with other test runs on the same site).
"""

import pickle
import uuid
from contextlib import contextmanager

import frappe

from crm_module import caching, constants
from crm_module.access import teams as team_access
from crm_module.services import pipeline, settings
from crm_module.services.automation import runs
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

RUN = uuid.uuid4().hex[:6]


def redis_ttl(key: str) -> int:
	"""Seconds the Redis key behind `key` still lives (-2: missing, -1: no expiry)."""
	return frappe.cache.ttl(frappe.cache.make_key(key))


def in_redis(key: str, field: str | None = None):
	"""What Redis holds under `key` (or in one field of that hash): not the request's local copy, which
	Frappe's wrapper answers from first."""
	if field is not None:
		return frappe.cache.hgetall(key).get(field.encode())  # Redis hands the field names back as bytes
	raw = frappe.cache.get(frappe.cache.make_key(key))
	return None if raw is None else pickle.loads(raw)


def committed(work):
	"""`work()`, then commit; started afresh after a deadlock or a lock wait timeout (other test runs share the
	site and hold rows for a whole test class)."""
	for attempt in range(5):
		try:
			result = work()
			frappe.db.commit()
			return result
		except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
			frappe.db.rollback()
			if attempt == 4:
				raise


def fresh_request() -> None:
	"""What a new request starts with: no request-local memo of the team reach."""
	frappe.local.crm_team_reach = None


class TestCachesAcrossTransactions(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		fresh_request()

	def tearDown(self):
		fresh_request()

	@contextmanager
	def concurrent_request(self):
		"""Run the block as a concurrent request would: on a second database connection (which sees only
		committed rows), with no request-local memo. FrappeTestCase.secondary_connection opens that
		connection before noting the current one the first time, so the first one is restored here."""
		primary = frappe.local.db
		try:
			with self.secondary_connection():
				fresh_request()
				yield
		finally:
			frappe.local.db = primary
			fresh_request()

	def delete_later(self, *docs: tuple[str, str]) -> None:
		"""In the clean-up: delete `docs` (doctype, name), last first, and commit."""

		def delete():
			for doctype, name in reversed(docs):
				if frappe.db.exists(doctype, name):
					frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)

		def clean_up():
			frappe.db.rollback()
			frappe.set_user("Administrator")
			committed(delete)
			fresh_request()

		self.addCleanup(clean_up)

	# --- team reach ------------------------------------------------------------------------------------

	def team(self):
		"""A lead with two members and a customer of the member who will leave; committed."""
		lead, kept, removed = (f"crm.cache.{who}@example.com" for who in ("lead", "kept", "removed"))

		def build():
			for user in (lead, kept, removed):
				f.make_user(user)
			team = f.make_team(f"Cache Race {RUN}", lead, (kept, removed))
			customer = f.make_customer(
				f"Cache Race {RUN} Corp", account_owner=removed, ignore_permissions=True
			)
			return team.name, customer.name

		team, customer = committed(build)
		self.delete_later((constants.SALES_TEAM, team), (constants.CUSTOMER, customer))
		return lead, kept, removed, team, customer

	def test_a_reader_between_a_team_change_and_its_commit_leaves_no_old_reach(self):
		lead, kept, removed, team, customer = self.team()
		self.assertEqual(team_access.reach_users(lead), (lead, kept, removed))
		self.assertTrue(frappe.has_permission(constants.CUSTOMER, "read", doc=customer, user=lead))

		doc = frappe.get_doc(constants.SALES_TEAM, team)
		doc.set("members", [row for row in doc.members if row.user != removed])
		doc.save(ignore_permissions=True)  # not committed yet; the reach is dropped now
		self.assertIsNone(in_redis(team_access.CACHE_KEY))

		with self.concurrent_request():  # it sees the committed team
			self.assertEqual(team_access.reach_users(lead), (lead, kept, removed))
		self.assertEqual(in_redis(team_access.CACHE_KEY)[lead], [kept, removed])  # cached again

		frappe.db.commit()
		self.assertIsNone(in_redis(team_access.CACHE_KEY))  # dropped after the commit
		self.assertEqual(team_access.reach_users(lead), (lead, kept))
		self.assertFalse(frappe.has_permission(constants.CUSTOMER, "read", doc=customer, user=lead))
		self.assertEqual(in_redis(team_access.CACHE_KEY)[lead], [kept])
		self.assertTrue(0 < redis_ttl(team_access.CACHE_KEY) <= caching.TTL)

	def test_a_rolled_back_team_change_leaves_no_reach_behind(self):
		lead, kept, removed, team, _customer = self.team()
		newcomer = committed(lambda: f.make_user("crm.cache.newcomer@example.com"))
		doc = frappe.get_doc(constants.SALES_TEAM, team)
		doc.append("members", {"user": newcomer})
		doc.save(ignore_permissions=True)
		fresh_request()
		# the writer's own request reads the reach it is about to commit, and caches it
		self.assertEqual(team_access.reach_users(lead), (lead, kept, newcomer, removed))
		self.assertIn(newcomer, in_redis(team_access.CACHE_KEY)[lead])

		frappe.db.rollback()  # ...then fails
		self.assertIsNone(in_redis(team_access.CACHE_KEY))
		fresh_request()
		self.assertEqual(team_access.reach_users(lead), (lead, kept, removed))

	# --- pipeline stages -------------------------------------------------------------------------------

	def test_a_reader_between_a_stage_change_and_its_commit_leaves_no_old_stages(self):
		name = f"Cache Race {RUN}"

		def build():
			frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": name}).insert(
				ignore_permissions=True
			)
			return frappe.get_doc(
				{
					"doctype": constants.PIPELINE_STAGE,
					"pipeline": name,
					"stage_name": f"Qualify {RUN}",
					"stage_order": 1,
					"probability": 30,
				}
			).insert(ignore_permissions=True)

		stage = committed(build)
		self.delete_later((constants.PIPELINE, name), ("Kanban Board", f"CRM Opportunities: {name}"))
		self.assertEqual([s.probability for s in pipeline.get_pipeline_stages(name)], [30])

		stage.probability = 70
		stage.save(ignore_permissions=True)
		self.assertIsNone(in_redis(pipeline.STAGES_CACHE_KEY, name))

		with self.concurrent_request():
			self.assertEqual([s.probability for s in pipeline.get_pipeline_stages(name)], [30])
			old_all = [s.probability for s in pipeline.get_all_stages() if s.pipeline == name]
		self.assertEqual(old_all, [30])
		self.assertEqual([s.probability for s in in_redis(pipeline.STAGES_CACHE_KEY, name)], [30])

		frappe.db.commit()
		self.assertEqual([s.probability for s in pipeline.get_pipeline_stages(name)], [70])
		self.assertEqual([s.probability for s in pipeline.get_all_stages() if s.pipeline == name], [70])
		self.assertTrue(0 < redis_ttl(pipeline.STAGES_CACHE_KEY) <= caching.TTL)

	# --- settings --------------------------------------------------------------------------------------

	def test_a_reader_between_a_settings_change_and_its_commit_leaves_no_old_weights(self):
		fields = (*settings.HEALTH_WEIGHTS, *settings.SCORING_WEIGHTS)
		before = frappe.db.get_value(constants.SETTINGS, constants.SETTINGS, fields, as_dict=True)

		def restore():
			frappe.db.rollback()
			committed(lambda: frappe.db.set_single_value(constants.SETTINGS, dict(before)))
			settings.clear_settings_cache()
			frappe.clear_document_cache(constants.SETTINGS, constants.SETTINGS)

		def known_weights():
			doc = frappe.get_doc(constants.SETTINGS)
			doc.update(
				{
					"health_engagement_weight": 0.5,
					"health_activity_weight": 0.25,
					"health_satisfaction_weight": 0.25,
					"engagement_weight": 1,
					"fit_weight": 1,
					"activity_weight": 1,
				}
			)
			doc.save(ignore_permissions=True)

		committed(known_weights)
		self.addCleanup(restore)
		self.assertEqual(settings.get_health_weights().satisfaction, 0.25)
		self.assertEqual(settings.get_scoring_config().weights, (1.0, 1.0, 1.0))

		doc = frappe.get_doc(constants.SETTINGS)
		doc.health_satisfaction_weight = 0.75
		doc.fit_weight = 3
		doc.save(ignore_permissions=True)

		with self.concurrent_request():
			frappe.get_cached_doc(constants.SETTINGS)  # Frappe's document cache filled with the old one too
			self.assertEqual(settings.get_health_weights().satisfaction, 0.25)
			self.assertEqual(settings.get_scoring_config().weights, (1.0, 1.0, 1.0))
		self.assertEqual(in_redis(settings.HEALTH_CACHE_KEY), [0.5, 0.25, 0.25])

		frappe.db.commit()
		self.assertEqual(settings.get_health_weights().satisfaction, 0.75)
		self.assertEqual(settings.get_scoring_config().weights, (1.0, 3.0, 1.0))
		for key in (settings.HEALTH_CACHE_KEY, settings.SCORING_CACHE_KEY):
			self.assertTrue(0 < redis_ttl(key) <= caching.TTL, key)

	# --- every key expires -----------------------------------------------------------------------------

	def test_every_app_cache_key_is_stored_with_a_ttl(self):
		caching.drop(
			team_access.CACHE_KEY,
			pipeline.STAGES_CACHE_KEY,
			settings.SCORING_CACHE_KEY,
			settings.HEALTH_CACHE_KEY,
			runs.LISTENED_KEY,
		)
		team_access.reach_users("Administrator")
		pipeline.get_all_stages()
		pipeline.get_pipeline_stages(constants.DEFAULT_PIPELINE)
		settings.get_scoring_config()
		runs.listened_events()
		keys = [
			team_access.CACHE_KEY,
			pipeline.STAGES_CACHE_KEY,
			settings.SCORING_CACHE_KEY,
			runs.LISTENED_KEY,
		]
		if in_redis(settings.HEALTH_CACHE_KEY) is None:
			settings.get_health_weights()  # cached only when the settings have weights (None is not)
		if in_redis(settings.HEALTH_CACHE_KEY) is not None:
			keys.append(settings.HEALTH_CACHE_KEY)
		for key in keys:
			self.assertTrue(0 < redis_ttl(key) <= caching.TTL, f"{key}: ttl {redis_ttl(key)}")
		# a hash keeps the expiry its first field set: later fields never extend it
		frappe.cache.expire(frappe.cache.make_key(pipeline.STAGES_CACHE_KEY), 5)
		frappe.cache.hdel(pipeline.STAGES_CACHE_KEY, constants.DEFAULT_PIPELINE)
		pipeline.get_pipeline_stages(constants.DEFAULT_PIPELINE)
		self.assertLessEqual(redis_ttl(pipeline.STAGES_CACHE_KEY), 5)
