"""Static checks of every DocType JSON shipped by the app (no Frappe needed)."""

import ast
import re

import pytest

from tests.app_meta import MODULE_DIR, app_roles, doctypes, frappe_core_doctypes, frappe_core_roles, scrub

FIELD_TYPES = {
	"Autocomplete",
	"Attach",
	"Attach Image",
	"Barcode",
	"Button",
	"Check",
	"Code",
	"Color",
	"Column Break",
	"Currency",
	"Data",
	"Date",
	"Datetime",
	"Duration",
	"Dynamic Link",
	"Float",
	"Fold",
	"Geolocation",
	"Heading",
	"HTML",
	"HTML Editor",
	"Icon",
	"Image",
	"Int",
	"JSON",
	"Link",
	"Long Text",
	"Markdown Editor",
	"Password",
	"Percent",
	"Phone",
	"Read Only",
	"Rating",
	"Section Break",
	"Select",
	"Signature",
	"Small Text",
	"Tab Break",
	"Table",
	"Table MultiSelect",
	"Text",
	"Text Editor",
	"Time",
}
LAYOUT = {"Section Break", "Column Break", "Tab Break", "Fold", "Heading", "HTML", "Button"}
NAMING_RULES = {
	"",
	"Set by user",
	"Autoincrement",
	"By fieldname",
	'By "Naming Series" field',
	"Expression",
	"Expression (old style)",
	"Random",
	"By script",
	"UUID",
}
DOCTYPES = doctypes()
NAMES = sorted(DOCTYPES)


def test_the_whole_data_model_is_there():
	expected = {
		"CRM Customer Profile",
		"CRM Contact",
		"CRM Email Address",
		"CRM Phone Number",
		"CRM Interaction",
		"CRM Opportunity",
		"CRM Sales Lead",
		"CRM Lead Score",
		"CRM Pipeline",
		"CRM Pipeline Stage",
		"CRM Tag",
		"CRM Tagged Item",
		"CRM Internal Note",
		"CRM Activity Timeline",
		"CRM Customer Segment",
		"CRM Deal Stage",
		"CRM Customer Health Score",
	}
	assert expected <= set(DOCTYPES)


@pytest.mark.parametrize("name", NAMES)
def test_doctype_basics(name):
	dt = DOCTYPES[name]
	assert dt["module"] == "CRM Module"
	assert dt["__path__"].endswith(f"/doctype/{scrub(name)}/{scrub(name)}.json")
	assert dt.get("naming_rule", "") in NAMING_RULES
	autoname = dt.get("autoname") or ""
	fieldnames = [f["fieldname"] for f in dt["fields"]]
	if autoname.startswith("field:"):
		assert autoname.split(":", 1)[1] in fieldnames
	elif dt.get("naming_rule") == "Expression (old style)":
		# a series of its own per doctype ("CRM-CUST-.#####" counts on the key "CRM-CUST-"); the
		# "format:...{#####}" form would share one unnamed counter across every doctype using it
		assert re.fullmatch(r"CRM-[A-Z]+-\.#{5}", autoname), autoname
	elif dt.get("naming_rule") == "By script":
		assert not autoname
	else:
		assert autoname in ("", "hash"), autoname
	assert dt["field_order"] == fieldnames
	assert len(set(fieldnames)) == len(fieldnames), "duplicate fieldnames"
	for key in ("title_field", "sort_field"):
		if dt.get(key) and dt[key] not in ("modified", "creation", "name"):
			assert dt[key] in fieldnames, f"{key} {dt[key]} is not a field"
	for fieldname in (dt.get("search_fields") or "").split(","):
		if fieldname.strip():
			assert fieldname.strip() in fieldnames


@pytest.mark.parametrize("name", NAMES)
def test_fields_are_valid(name):
	dt = DOCTYPES[name]
	core = frappe_core_doctypes()
	fieldnames = {f["fieldname"] for f in dt["fields"]}
	for field in dt["fields"]:
		fieldname, fieldtype = field["fieldname"], field["fieldtype"]
		assert re.fullmatch(r"[a-z][a-z0-9_]*", fieldname), fieldname
		assert fieldtype in FIELD_TYPES, f"{fieldname}: {fieldtype}"
		if fieldtype not in LAYOUT:
			assert field.get("label"), f"{fieldname} has no label"
		if fieldtype == "Link":
			target = field.get("options")
			assert target in DOCTYPES or target in core, f"{fieldname}: unknown link target {target}"
		if fieldtype in ("Table", "Table MultiSelect"):
			child = DOCTYPES.get(field.get("options"))
			assert child and child.get("istable"), f"{fieldname}: {field.get('options')} is not a child table"
		if fieldtype == "Dynamic Link":
			assert field.get("options") in fieldnames
		if fieldtype == "Select":
			assert field.get("options"), f"{fieldname}: select without options"
			if field.get("default"):
				assert field["default"] in field["options"].split("\n")
		if fieldtype in ("Currency",) and field.get("options"):
			assert field["options"] in fieldnames, f"{fieldname}: currency field {field['options']} missing"
		if field.get("fetch_from"):
			link_field = field["fetch_from"].split(".")[0]
			assert link_field in fieldnames


@pytest.mark.parametrize("name", NAMES)
def test_permissions_name_existing_roles(name):
	dt = DOCTYPES[name]
	known = app_roles() | frappe_core_roles()
	if dt.get("istable"):
		assert not dt["permissions"], "child tables take their parent's permissions"
		return
	roles = {perm["role"] for perm in dt["permissions"]}
	assert roles <= known, roles - known
	assert "System Manager" in roles
	assert "CRM Manager" in roles


@pytest.mark.parametrize("name", [n for n in NAMES if not DOCTYPES[n].get("istable")])
def test_business_documents_track_changes(name):
	dt = DOCTYPES[name]
	business = {
		"CRM Customer Profile",
		"CRM Contact",
		"CRM Interaction",
		"CRM Opportunity",
		"CRM Sales Lead",
		"CRM Pipeline",
		"CRM Pipeline Stage",
		"CRM Internal Note",
		"CRM Customer Segment",
		"CRM Module Settings",
	}
	if name in business:
		assert dt.get("track_changes") == 1, "audit trail: track_changes must be on"


@pytest.mark.parametrize("name", NAMES)
def test_controller_matches_doctype(name):
	folder = MODULE_DIR / "doctype" / scrub(name)
	controller = folder / f"{scrub(name)}.py"
	assert (folder / "__init__.py").exists()
	source = controller.read_text()
	tree = ast.parse(source)
	classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
	assert name.replace(" ", "") in classes
	assert "# begin: auto-generated types" in source and "# end: auto-generated types" in source
	for field in DOCTYPES[name]["fields"]:
		if field["fieldtype"] not in LAYOUT:
			assert f"\t\t{field['fieldname']}: DF." in source, f"types block lacks {field['fieldname']}"


def test_seed_indexes_are_declared():
	"""The seed's indexing strategy: single-column ones live in JSON, composite ones in on_doctype_update."""

	def search_indexed(doctype, fieldname):
		return any(f["fieldname"] == fieldname and f.get("search_index") for f in DOCTYPES[doctype]["fields"])

	assert search_indexed("CRM Customer Profile", "account_owner")
	assert search_indexed("CRM Customer Profile", "segment")
	assert search_indexed("CRM Contact", "customer")
	composite = {
		"crm_interaction": '["owner", "interaction_date"]',
		"crm_opportunity": '["opportunity_owner", "stage"]',
		"crm_sales_lead": '["lead_owner", "status"]',
		"crm_tagged_item": '["reference_doctype", "reference_name"]',
		"crm_activity_timeline": '["customer", "activity_date"]',
	}
	for folder, fields in composite.items():
		source = (MODULE_DIR / "doctype" / folder / f"{folder}.py").read_text()
		assert "def on_doctype_update" in source and fields in source, folder
