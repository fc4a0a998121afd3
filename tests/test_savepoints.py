"""One savepoint helper (crm_module/services/transactions.py): no other app module opens, rolls back to or
releases a savepoint by hand, and no ERPNext document is inserted with permissions switched off."""

import re

from tests.app_meta import APP

HELPER = APP / "services" / "transactions.py"
BY_HAND = re.compile(r"\.(savepoint|release_savepoint)\(|save_point\s*=")


def app_modules():
	for path in APP.rglob("*.py"):
		if "__pycache__" in path.parts or path.relative_to(APP).parts[0] in ("tests", "benchmarks"):
			continue
		yield path


def test_savepoints_only_through_the_helper():
	by_hand = [
		f"{path.relative_to(APP)}:{number}"
		for path in app_modules()
		if path != HELPER
		for number, line in enumerate(path.read_text().splitlines(), 1)
		if BY_HAND.search(line)
	]
	assert by_hand == []


def test_erpnext_hand_offs_keep_erpnext_permissions_on():
	for name in ("integrations/erpnext_handoff.py", "conversion.py"):
		text = (APP / "services" / name).read_text()
		assert "ignore_permissions = True" not in text, name
		# the app's own timeline comment is the one insert that skips permission checks
		assert text.count("ignore_permissions=True") == (1 if name.startswith("integrations") else 0), name
