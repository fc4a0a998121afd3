"""The after-migrate check that this app's overrides are the ones Frappe resolves
(crm_module/setup/override_check.py): silent on this site, and a clear warning (Error Log and the
migrate's output) naming the method and the app when another app listed later takes one over."""

import io
from contextlib import redirect_stdout
from unittest.mock import patch

import frappe

from crm_module.setup import install, override_check
from crm_module.tests.compat import IntegrationTestCase

HOOK = "override_whitelisted_methods"
METHOD = "frappe.client.get_count"
RIVAL_APP = "rival_app"
RIVAL = "rival_app.api.get_count"


def rival_hooks(real_get_hooks):
	"""frappe.get_hooks as on a site where `rival_app`, installed after this app, overrides get_count."""

	def get_hooks(hook=None, default="_KEEP_DEFAULT_LIST", app_name=None):
		if app_name == RIVAL_APP:
			return {METHOD: [RIVAL]} if hook == HOOK else ({} if hook else frappe._dict())
		resolved = real_get_hooks(hook, default, app_name=app_name)
		if hook == HOOK and app_name is None:
			resolved = {**resolved, METHOD: [*resolved.get(METHOD, []), RIVAL]}
		return resolved

	return get_hooks


class TestOverrideCheck(IntegrationTestCase):
	def test_this_site_resolves_every_override_to_this_app(self):
		ours = frappe.get_hooks(HOOK, {}, app_name="crm_module")
		self.assertEqual(ours[METHOD], ["crm_module.access.overrides.get_count"])
		self.assertEqual(frappe.get_hooks(HOOK)[METHOD][-1], "crm_module.access.overrides.get_count")
		with redirect_stdout(io.StringIO()) as out:
			self.assertEqual(override_check.check_overrides(), [])
		self.assertEqual(out.getvalue(), "")

	def test_an_app_that_takes_an_override_over_is_named(self):
		apps = [*frappe.get_installed_apps(), RIVAL_APP]
		title = "crm_module: overrides taken over by another app"
		before = frappe.db.count("Error Log", {"method": title})
		with (
			patch.object(frappe, "get_hooks", side_effect=rival_hooks(frappe.get_hooks)),
			patch.object(frappe, "get_installed_apps", return_value=apps),
			redirect_stdout(io.StringIO()) as out,
		):
			lost = override_check.check_overrides()
		self.assertEqual(
			[(e.hook, e.key, e.ours, e.resolved, e.app) for e in lost],
			[(HOOK, METHOD, "crm_module.access.overrides.get_count", RIVAL, RIVAL_APP)],
		)
		expected = (
			f"{HOOK}['{METHOD}'] resolves to '{RIVAL}' (from app {RIVAL_APP}), "
			"not 'crm_module.access.overrides.get_count'"
		)
		self.assertIn(expected, out.getvalue())
		self.assertEqual(frappe.db.count("Error Log", {"method": title}), before + 1)
		log = frappe.get_last_doc("Error Log", filters={"method": title})
		self.assertIn(expected, log.error)

	def test_after_migrate_runs_the_check_without_failing(self):
		with (
			patch.object(install, "ensure_setup_records"),
			patch.object(
				override_check,
				"lost_overrides",
				return_value=[
					frappe._dict(hook=HOOK, key=METHOD, ours="ours", resolved=RIVAL, app=RIVAL_APP)
				],
			) as check,
			patch.object(frappe.db, "commit"),
			redirect_stdout(io.StringIO()) as out,
		):
			install.after_migrate()  # warns, does not raise
		check.assert_called_once_with()
		self.assertIn(RIVAL, out.getvalue())
