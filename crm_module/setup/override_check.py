"""After every migrate: are the overrides this app declares the ones Frappe resolves?

Frappe takes the LAST entry of `override_whitelisted_methods` / `override_doctype_class` for a method or
doctype, in the order of the site's installed apps. The app's overrides close permission holes (e.g.
`frappe.client.get_count` counting with no permission at all), so another app installed after this one
that overrides the same method would silently reopen them. `check_overrides` (run by `after_migrate`)
names every override that another app has taken over, in the Error Log and on the migrate's output; it
never fails the migrate.
"""

import frappe

APP = "crm_module"
OVERRIDE_HOOKS = ("override_whitelisted_methods", "override_doctype_class")


def lost_overrides() -> list[frappe._dict]:
	"""This app's overrides that Frappe does not resolve to this app: {hook, key, ours, resolved, app}."""
	lost = []
	for hook in OVERRIDE_HOOKS:
		ours = frappe.get_hooks(hook, {}, app_name=APP) or {}
		resolved = frappe.get_hooks(hook, {}) or {}
		for key, paths in ours.items():
			mine = paths[-1]
			winner = (resolved.get(key) or [None])[-1]
			if winner != mine:
				lost.append(
					frappe._dict(
						hook=hook, key=key, ours=mine, resolved=winner, app=app_declaring(hook, key, winner)
					)
				)
	return lost


def app_declaring(hook: str, key: str, path: str | None) -> str | None:
	"""The installed app (the last one) whose hooks map `key` to `path`."""
	for app in reversed(frappe.get_installed_apps()):
		if app != APP and path in (frappe.get_hooks(hook, {}, app_name=app) or {}).get(key, []):
			return app
	return None


def describe(entry: frappe._dict) -> str:
	return "{hook}[{key!r}] resolves to {resolved!r} (from app {app}), not {ours!r}".format(
		hook=entry.hook,
		key=entry.key,
		resolved=entry.resolved,
		app=entry.app or "unknown",
		ours=entry.ours,
	)


def check_overrides() -> list[frappe._dict]:
	"""Warn (Error Log and printed) about every override of this app that another app has taken over;
	returns them."""
	lost = lost_overrides()
	if lost:
		text = "\n".join(
			[
				f"{APP}: {len(lost)} override(s) of this app are not the ones Frappe uses; the row rules "
				"they apply are bypassed until the other app's entry is removed or this app is listed after "
				"it in the site's installed apps:",
				*(f"  - {describe(entry)}" for entry in lost),
			]
		)
		print(text)
		frappe.log_error(title=f"{APP}: overrides taken over by another app", message=text)
	return lost
