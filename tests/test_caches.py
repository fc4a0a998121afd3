"""Every app cache goes through crm_module/caching.py (dropped now and again when the transaction ends, a TTL on
every key): no other app module uses `frappe.cache` itself, but for the ones named here with their reason.
The race itself (a reader between a change and its commit) is tested on a site: crm_module/tests/test_caching.py.
"""

import re

from tests.app_meta import APP

HELPER = APP / "caching.py"
OWN_KEYS = {
	# the dashboard cache: per-user figures under generation keys, with invalidation of its own
	"services/reporting/cache.py",
	# no copy of rows: which steps of today's nightly run are done (expiring with the day)
	"services/daily.py",
	# no copy of rows: the Retry-After of a 429 is the time to live of Frappe's own rate-limit counter
	"api/web_lead.py",
}
USES = re.compile(r"\bfrappe\.cache\b")


def app_modules():
	for path in APP.rglob("*.py"):
		parts = path.relative_to(APP).parts
		if "__pycache__" in parts or parts[0] in ("tests", "benchmarks") or path.name.startswith("test_"):
			continue
		yield path


def test_app_caches_only_through_the_helper():
	users = {
		path.relative_to(APP).as_posix()
		for path in app_modules()
		if path != HELPER and USES.search(path.read_text())
	}
	assert users <= OWN_KEYS, sorted(users - OWN_KEYS)
