"""Request handling shared by every endpoint in `crm_module.api`.

* `acting_user`: the seed's ``userId`` is the acting user. It defaults to the session user; naming
  someone else is honoured only for CRM Managers (and System Managers), otherwise 403. Callers without a
  CRM role get 403 (guests never reach the endpoints: they are not ``allow_guest``).
* `required`: a missing or empty parameter is a 400 naming it.
* `payload`: POST bodies carry the record's fields either in ``data`` (a JSON object, or JSON text) or
  at the top level of the request, camelCase or snake_case; malformed JSON is a 400 naming ``data``.
* `dispatch`: an unknown or missing ``action`` is a 400 listing the valid ones.
* `camelize`: responses use the seed's camelCase keys.
"""

import re
from collections.abc import Callable
from typing import Any

import frappe
from frappe import _

from crm_module import constants as c
from crm_module.permissions import is_unrestricted
from crm_module.services.payload import require_object
from crm_module.utils import throw_input

CRM_ROLES = frozenset({c.ROLE_USER, *c.MANAGER_ROLES})
FRAMEWORK_KEYS = frozenset({"cmd", "csrf_token", "_"})
SNAKE = re.compile(r"_([a-z0-9])")


def acting_user(user_id: str | None = None) -> str:
	"""The user whose view the request asks for (see the module docstring)."""
	session_user = frappe.session.user
	if session_user == "Guest" or not CRM_ROLES.intersection(frappe.get_roles(session_user)):
		frappe.throw(_("You need a CRM role to use the CRM API"), frappe.PermissionError)
	if user_id in (None, "", session_user):
		return session_user
	if not is_unrestricted(session_user):
		frappe.throw(_("userId: only a CRM Manager can act for another user"), frappe.PermissionError)
	if not frappe.db.exists("User", {"name": user_id, "enabled": 1}):
		frappe.throw(_("userId: user {0} not found").format(user_id), frappe.DoesNotExistError)
	return user_id


def required(value: Any, param: str) -> Any:
	if value in (None, ""):
		throw_input(_("{0} is required").format(param))
	return value


def payload(data: dict | str | None, fields: dict) -> dict:
	"""The record fields of a POST: ``data`` merged with the other top-level fields (none may repeat)."""
	body = dict(require_object(data, "data")) if data not in (None, "") else {}
	for key, value in fields.items():
		if key in FRAMEWORK_KEYS:
			continue
		if key in body:
			throw_input(_("{0} is given both in data and at the top level").format(key))
		body[key] = value
	return body


def dispatch(action: str | None, handlers: dict[str, Callable[[], Any]]) -> Any:
	"""Run the handler of `action` (case-insensitive)."""
	required(action, "action")
	handler = handlers.get(action.strip().lower()) if isinstance(action, str) else None
	if handler is None:
		throw_input(_("action must be one of {0}, got {1!r}").format(", ".join(handlers), action))
	return handler()


def camel(key: str) -> str:
	"""``probability_percent`` -> ``probabilityPercent``."""
	return SNAKE.sub(lambda m: m.group(1).upper(), key)


def camelize(value: Any) -> Any:
	"""Dict keys in camelCase, recursively through dicts and lists."""
	if isinstance(value, dict):
		return {camel(k) if isinstance(k, str) else k: camelize(v) for k, v in value.items()}
	if isinstance(value, list):
		return [camelize(v) for v in value]
	return value
