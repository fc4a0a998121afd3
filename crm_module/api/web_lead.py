"""`POST /api/method/crm_module.api.web_lead.submit`: the web-to-lead endpoint (guests allowed).

The page `/crm-lead` posts here, and so may a company's own website: the lead's fieldnames, `consent`,
`utm_source` / `utm_medium` / `utm_campaign` (and `referrer`), as form data or JSON. What a submission
becomes is `crm_module.services.web_lead`; here are the request's own checks:

* Frappe's `rate_limit` per IP address (`RATE_LIMIT` submissions per `RATE_WINDOW` seconds; 429), with a
  `Retry-After` header added by `after_request` (Frappe's decorator answers 429 without one);
* a browser posting from another site (an `Origin` header naming another host) must be on the form's
  allowed origins (403 otherwise); a request without `Origin` is a server's, not a browser's;
  allowed origins get the CORS headers their browsers need (preflight included).
"""

from typing import Any
from urllib.parse import urlsplit

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit

from crm_module.services import web_lead

RATE_LIMIT = 10  # submissions per IP address within RATE_WINDOW
RATE_WINDOW = 60  # seconds
METHOD = "crm_module.api.web_lead.submit"
REQUEST_KEYS = ("cmd", "csrf_token")


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=RATE_LIMIT, seconds=RATE_WINDOW)
def submit(**values: Any) -> dict:
	check_origin(web_lead.form()["allowed_origins"])
	values = {k: v for k, v in values.items() if k not in REQUEST_KEYS}
	return web_lead.submit_lead(values, frappe.local.request_ip, frappe.get_request_header("Referer") or "")


def request_origin() -> str:
	return (frappe.get_request_header("Origin") or "").strip().rstrip("/").lower()


def same_site(origin: str) -> bool:
	host = (frappe.request.host or "").lower() if frappe.request else ""
	return bool(host) and urlsplit(origin).netloc == host


def check_origin(allowed: list[str]) -> None:
	origin = request_origin()
	if not origin or same_site(origin) or origin in allowed:
		return
	frappe.throw(
		_("Submissions from {0} are not allowed (Allowed Origins of CRM Web Lead Settings)").format(origin),
		frappe.PermissionError,
		title=_("Not Permitted"),
	)


def rate_key() -> str:
	"""The key Frappe's `rate_limit` counts this IP's submissions under (frappe/rate_limiter.py)."""
	return frappe.cache.make_key(f"rl:{METHOD}:{frappe.local.request_ip}")


def retry_after() -> int:
	"""Seconds until this IP's window ends (the counter's time to live), RATE_WINDOW when unknown."""
	try:
		ttl = frappe.cache.ttl(rate_key())
	except Exception:
		ttl = -1
	return ttl if ttl and ttl > 0 else RATE_WINDOW


def is_submit_request(request) -> bool:
	return bool(request) and request.path.rstrip("/") == f"/api/method/{METHOD}"


def after_request(response=None, request=None) -> None:
	"""`after_request` hook: Retry-After on this endpoint's 429, CORS headers for allowed origins."""
	if response is None or not is_submit_request(request):
		return
	if response.status_code == 429 and "Retry-After" not in response.headers:
		response.headers["Retry-After"] = str(retry_after())
	origin = request_origin()
	if origin and not same_site(origin) and origin in web_lead.form()["allowed_origins"]:
		response.headers["Access-Control-Allow-Origin"] = origin
		response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
		response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
		response.headers["Vary"] = "Origin"
