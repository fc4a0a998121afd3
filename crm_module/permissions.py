"""Row-level isolation, as Frappe's hooks see it. The rules live in `crm_module.access`:

* `access.rules`: the one rule table;
* `access.conditions`: lists, reports, counts and search (`permission_query_conditions`);
* `access.records`: single documents, judged as stored (`has_permission`);
* `access.write_guard`, `access.gates`, `access.overrides`: the other write and read paths.

This module keeps the names hooks.py, services and tests use. Fetching a record or answering 404/403 is
`crm_module.services.common.get_record`.
"""

from crm_module.access.conditions import get_query_conditions
from crm_module.access.records import can_reach, has_permission
from crm_module.access.users import has_crm_role, is_unrestricted

__all__ = [
	"can_reach",
	"get_query_conditions",
	"has_crm_role",
	"has_permission",
	"is_unrestricted",
]
