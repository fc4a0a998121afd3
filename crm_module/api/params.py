"""Request handling shared by every endpoint in `crm_module.api`.

* the seed's ``userId`` is the acting user (`crm_module.services.common.acting_user`, which reports use
  too): the session user, or someone else when a CRM Manager names them.
* `required`: a missing or empty parameter is a 400 naming it.
* `payload`: POST bodies carry the record's fields either in ``data`` (a JSON object, or JSON text) or
  at the top level of the request, camelCase or snake_case; malformed JSON is a 400 naming ``data``.
* `dispatch`: an unknown or missing ``action`` is a 400 listing the valid ones.
* `camelize`: responses use the seed's camelCase keys.
"""

from collections.abc import Callable, Mapping
from typing import Any

from frappe import _

from crm_module.services.payload import camel, require_object
from crm_module.utils import throw_input

FRAMEWORK_KEYS = frozenset({"cmd", "csrf_token", "_"})


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


def camelize(value: Any, renames: Mapping[str, str] | None = None, data_maps: frozenset = frozenset()) -> Any:
	"""Dict keys in camelCase, recursively through dicts and lists: the one place where responses get
	the seed's casing. `renames` gives keys whose seed name is not their camelCase spelling; the values
	of keys in `data_maps` are dicts keyed by data (sources, stages), whose keys stay as they are."""
	renames = renames or {}
	if isinstance(value, dict):
		return {
			(renames.get(k) or camel(k) if isinstance(k, str) else k): (
				v if k in data_maps else camelize(v, renames, data_maps)
			)
			for k, v in value.items()
		}
	if isinstance(value, list):
		return [camelize(v, renames, data_maps) for v in value]
	return value
