"""The permission matrix: every user kind x every Frappe path x every CRM doctype and child table.

Rep A owns a full set of records (each carrying a marker string, or at least a unique name). Rep B, a desk
user without a CRM role and Guest then try every read path (REST v1/v2 get and list, `frappe.client.*`,
report view, counts, group-by counts, export, search, getdoc, validate_link, linked docs, print, number
cards, dashboard charts) and every write or grant path (PUT/PATCH/DELETE, set_value, save, savedocs, bulk
update, ToDo, assign_to, share, tags, file upload, children under A's records). The test asserts 0 leaks:
no response carries a marker or a name of A's records, no count counts them, every write is refused, and
A's rows (and the ToDo / DocShare / File / Tag Link rows about them) are byte-for-byte unchanged.

Positive controls (rep A and the manager read the same records through the same paths and DO see the
markers) keep the leak detector honest.
"""

import io
import json

import frappe

from crm_module import constants
from crm_module.access.rules import CHILD_PARENTS, RULES
from crm_module.tests.api_case import CRMAPITestCase, Reply
from crm_module.tests.factories import (
	as_user,
	make_contact,
	make_interaction,
	make_lead,
	make_opportunity,
	make_user,
)

MARK = "Qvxmark"
PLAIN = "crm.matrix.plain@example.com"
PARENT_DOCTYPES = {
	constants.EMAIL_ADDRESS: constants.CONTACT,
	constants.PHONE_NUMBER: constants.CONTACT,
	constants.OPPORTUNITY_LINE: constants.OPPORTUNITY,
	constants.NOTE_MENTION: constants.NOTE,
	constants.SEGMENT_MEMBER: constants.SEGMENT,
	constants.FIT_RULE: constants.SETTINGS,
}
PARENT_FIELDS = {
	constants.EMAIL_ADDRESS: "emails",
	constants.PHONE_NUMBER: "phones",
	constants.OPPORTUNITY_LINE: "lines",
	constants.NOTE_MENTION: "mentions",
	constants.SEGMENT_MEMBER: "members",
	constants.FIT_RULE: "fit_rules",
}


# the records the ERPNext / Contact sync makes of A's (issue 20): read under Frappe's and ERPNext's roles
SYNCED_CUSTOMER, SYNCED_CONTACT = "Customer", "Contact"
SYNCED = (SYNCED_CUSTOMER, SYNCED_CONTACT)

BY_NAME, LISTING = "by name", "listing"  # a by-name path may echo the name it was given in its error


def j(value) -> str:
	return json.dumps(value, default=str)


class TestPermissionMatrix(CRMAPITestCase):
	prefix = "matrix"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.plain = make_user(PLAIN, ("Blogger",))
		cls.tokens[cls.plain] = cls.api_token(cls.plain)
		cls.make_teams()
		cls.records = cls.make_records_of_a()
		cls.records.update(cls.synced_records_of_a())
		with as_user(cls.rep_b):
			cls.opportunity_b = make_opportunity(cls.customer_b, "B's own deal", 10).name
			cls.note_b = (
				frappe.get_doc(
					{
						"doctype": constants.NOTE,
						"reference_doctype": constants.CUSTOMER,
						"reference_name": cls.customer_b,
						"content": "b",
					}
				)
				.insert()
				.name
			)
		frappe.db.commit()
		cls.before = cls.snapshot()

	# ------------------------------------------------------------------ fixtures

	@classmethod
	def make_teams(cls):
		"""Team leads are attackers too: B's lead reaches B's records, never A's. A's records are reached by
		the lead of the team above A's team (hierarchy), a positive control on the same paths."""
		cls.lead_b = make_user("crm.matrix.leadb@example.com", (constants.ROLE_USER,))
		cls.lead_a = make_user("crm.matrix.leada@example.com", (constants.ROLE_USER,))
		for user in (cls.lead_a, cls.lead_b):
			cls.tokens[user] = cls.api_token(user)
		for name in ("matrix A team", "matrix top", "matrix B team"):  # sub-teams first
			if frappe.db.exists(constants.SALES_TEAM, name):
				frappe.delete_doc(constants.SALES_TEAM, name, force=True, ignore_permissions=True)
		for name, lead, parent, members in (
			("matrix B team", cls.lead_b, None, [cls.rep_b]),
			("matrix top", cls.lead_a, None, []),
			("matrix A team", cls.manager, "matrix top", [cls.rep_a]),
		):
			frappe.get_doc(
				{
					"doctype": constants.SALES_TEAM,
					"team_name": name,
					"team_lead": lead,
					"parent_team": parent,
					"members": [{"user": user} for user in members],
				}
			).insert(ignore_permissions=True)

	@classmethod
	def make_records_of_a(cls) -> dict[str, str]:
		a = cls.rep_a
		with as_user(a):
			customer = cls.customer_a
			frappe.db.set_value(constants.CUSTOMER, customer, "industry", f"{MARK} industry")
			contact = make_contact(
				customer,
				f"{MARK}first",
				emails=[
					{"email_id": f"{MARK.lower()}.one@alpha.example.com"},
					{"email_id": f"{MARK.lower()}.two@alpha.example.com"},
				],
				phones=[{"phone": "+14155550177"}],
			)
			opportunity = make_opportunity(
				customer,
				f"{MARK} deal",
				1234,
				lines=[{"product_name": f"{MARK} product", "qty": 2, "rate": 617}],
			)
			opportunity.stage = frappe.db.get_value(
				constants.PIPELINE_STAGE, {"stage_name": "Proposal"}, "name"
			)
			opportunity.save()
			interaction = make_interaction(customer, f"{MARK} call", contact=contact.name)
			lead = make_lead(f"{MARK} lead", email_id=f"{MARK.lower()}.lead@alpha.example.com")
			note = frappe.get_doc(
				{
					"doctype": constants.NOTE,
					"reference_doctype": constants.CUSTOMER,
					"reference_name": customer,
					"content": f"{MARK} note",
					"mentions": [{"user": a}],
				}
			).insert()
			frappe.get_doc({"doctype": constants.TAG, "tag_name": f"{MARK}tag"}).insert(
				ignore_permissions=True
			)
			tagged = frappe.get_doc(
				{
					"doctype": constants.TAGGED_ITEM,
					"tag": f"{MARK}tag",
					"reference_doctype": constants.CUSTOMER,
					"reference_name": customer,
				}
			).insert()
			file = frappe.get_doc(
				{
					"doctype": "File",
					"file_name": f"{MARK}-contract.txt",
					"content": f"{MARK} terms",
					"attached_to_doctype": constants.CUSTOMER,
					"attached_to_name": customer,
					"is_private": 1,
				}
			).insert()
			frappe.desk.doctype.tag.tag.add_tag(f"{MARK}desk", constants.CUSTOMER, customer)
		lead_score = frappe.get_doc(
			{
				"doctype": constants.LEAD_SCORE,
				"lead": lead.name,
				"scoring_date": frappe.utils.today(),
				"engagement_score": 50,
				"fit_score": 50,
				"activity_score": 50,
			}
		).insert(ignore_permissions=True)
		health = frappe.get_doc(
			{
				"doctype": constants.HEALTH_SCORE,
				"customer": customer,
				"score_date": frappe.utils.today(),
				"health_score": 70,
				"engagement_score": 70,
				"activity_score": 70,
				"satisfaction_score": 70,
				"recommendations": f"{MARK} advice",
			}
		).insert(ignore_permissions=True)
		timeline = frappe.get_all(constants.TIMELINE, filters={"customer": customer}, pluck="name", limit=1)[
			0
		]
		deal_stage = frappe.get_all(
			constants.DEAL_STAGE, filters={"opportunity": opportunity.name}, pluck="name", limit=1
		)[0]
		segment = frappe.get_doc(
			{
				"doctype": constants.SEGMENT,
				"segment_name": f"{MARK} segment",
				"segment_type": "Static",
				"members": [{"customer": customer}],
			}
		).insert(ignore_permissions=True)
		settings = frappe.get_single(constants.SETTINGS)
		settings.append(
			"fit_rules", {"field": "industry", "operator": "=", "value": f"{MARK}fit", "points": 5}
		)
		settings.save(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": a,
				"type": "Mention",
				"subject": f"{MARK} mention",
				"document_type": constants.NOTE,
				"document_name": note.name,
			}
		).insert(ignore_permissions=True)
		child = lambda table, parent: frappe.db.get_value(table, {"parent": parent}, "name")  # noqa: E731
		cls.file_name, cls.file_url = file.name, file.file_url
		cls.notification = frappe.get_all(
			"Notification Log", filters={"subject": f"{MARK} mention"}, pluck="name"
		)[0]
		cls.tagged_name = tagged.name
		return {
			constants.CUSTOMER: customer,
			constants.CONTACT: contact.name,
			constants.OPPORTUNITY: opportunity.name,
			constants.INTERACTION: interaction.name,
			constants.LEAD: lead.name,
			constants.NOTE: note.name,
			constants.TAGGED_ITEM: tagged.name,
			constants.LEAD_SCORE: lead_score.name,
			constants.HEALTH_SCORE: health.name,
			constants.TIMELINE: timeline,
			constants.DEAL_STAGE: deal_stage,
			constants.EMAIL_ADDRESS: child(constants.EMAIL_ADDRESS, contact.name),
			constants.PHONE_NUMBER: child(constants.PHONE_NUMBER, contact.name),
			constants.OPPORTUNITY_LINE: child(constants.OPPORTUNITY_LINE, opportunity.name),
			constants.NOTE_MENTION: child(constants.NOTE_MENTION, note.name),
			constants.SEGMENT_MEMBER: child(constants.SEGMENT_MEMBER, segment.name),
			constants.FIT_RULE: frappe.db.get_value(constants.FIT_RULE, {"value": f"{MARK}fit"}, "name"),
		}

	@classmethod
	def synced_records_of_a(cls) -> dict[str, str]:
		"""The Frappe Contact the sync mirrors A's contact to and, with ERPNext, the ERPNext Customer of A's
		customer (issue 20): targets like A's own records. The sync runs here as its job would (other
		modules' tests do not sync). A user with ERPNext's Sales User role reads them (positive control)."""
		from crm_module.services.integrations import erp_sync

		erpnext = erp_sync.erpnext_installed()
		if erpnext:
			erp_sync.run(constants.CUSTOMER, cls.customer_a)
		erp_sync.run(constants.CONTACT, cls.records[constants.CONTACT])
		synced = {
			SYNCED_CONTACT: frappe.db.get_value(
				constants.CONTACT, cls.records[constants.CONTACT], "frappe_contact"
			)
		}
		if erpnext:
			synced[SYNCED_CUSTOMER] = frappe.db.get_value(
				constants.CUSTOMER, cls.customer_a, "erpnext_customer"
			)
			cls.sales_user = make_user("crm.matrix.sales@example.com", ("Sales User",))
			cls.tokens[cls.sales_user] = cls.api_token(cls.sales_user)
		assert all(synced.values()), f"the sync made no partner for A's records: {synced}"
		return synced

	@classmethod
	def snapshot(cls) -> dict:
		"""A's rows as stored, plus every Frappe row that grants or describes access to them."""
		rows = {
			dt: frappe.db.sql(f"select * from `tab{dt}` where name = %s", name, as_dict=True)
			for dt, name in cls.records.items()
		}
		names = list(cls.records.values())
		for dt, column in (
			("ToDo", "reference_name"),
			("DocShare", "share_name"),
			("File", "attached_to_name"),
			("Tag Link", "document_name"),
		):
			rows[dt] = frappe.db.sql(
				f"select * from `tab{dt}` where `{column}` in %(names)s order by name",
				{"names": names},
				as_dict=True,
			)
		rows["counts"] = {dt: frappe.db.count(dt) for dt in (*RULES, *CHILD_PARENTS)}
		return frappe.as_json(rows)

	def secrets(self, doctype: str) -> set[str]:
		return {MARK, MARK.lower(), self.records[doctype]}

	# ------------------------------------------------------------------ the paths

	def read_paths(self, doctype: str, name: str):
		"""(label, call) for every read path; each call returns a Reply."""
		parent = PARENT_DOCTYPES.get(doctype)
		extra = {"parent": parent} if parent else {}
		resource = "/api/resource/" + doctype
		v2 = "/api/v2/document/" + doctype
		name_filter = j({"name": name})
		yield "GET resource/name", BY_NAME, lambda u: self.call("GET", f"{resource}/{name}", u)
		yield "GET v2 document/name", BY_NAME, lambda u: self.call("GET", f"{v2}/{name}", u)
		yield (
			"GET resource list",
			LISTING,
			lambda u: self.call(
				"GET", resource, u, params={"fields": '["*"]', "limit_page_length": "500", **extra}
			),
		)
		yield (
			"GET v2 list",
			LISTING,
			lambda u: self.call("GET", v2, u, params={"fields": '["*"]', "limit": "500", **extra}),
		)
		yield (
			"client.get_list",
			LISTING,
			lambda u: self.get(
				"frappe.client.get_list", u, doctype=doctype, fields='["*"]', limit_page_length="500", **extra
			),
		)
		yield (
			"client.get",
			BY_NAME,
			lambda u: self.get("frappe.client.get", u, doctype=doctype, name=name, **extra),
		)
		yield (
			"client.get_value",
			BY_NAME,
			lambda u: self.get(
				"frappe.client.get_value",
				u,
				doctype=doctype,
				fieldname='["name", "owner"]',
				filters=name_filter,
				**extra,
			),
		)
		yield (
			"reportview.get",
			LISTING,
			lambda u: self.post_form(
				"frappe.desk.reportview.get",
				u,
				doctype=doctype,
				fields=j([f"`tab{doctype}`.`name`"]),
				filters="[]",
				**({"parent_doctype": parent} if parent else {}),
			),
		)
		yield (
			"reportview.export_query",
			LISTING,
			lambda u: self.post_form(
				"frappe.desk.reportview.export_query",
				u,
				doctype=doctype,
				file_format_type="CSV",
				fields=j([f"`tab{doctype}`.`name`"]),
				filters="[]",
			),
		)
		yield (
			"search_link (ignore_user_permissions)",
			LISTING,
			lambda u: self.get(
				"frappe.desk.search.search_link",
				u,
				doctype=doctype,
				txt="",
				ignore_user_permissions="1",
				page_length="100",
			),
		)
		yield (
			"search_widget (ignore_user_permissions)",
			LISTING,
			lambda u: self.get(
				"frappe.desk.search.search_widget",
				u,
				doctype=doctype,
				txt="",
				ignore_user_permissions="1",
				page_length="100",
			),
		)
		yield (
			"form.load.getdoc",
			BY_NAME,
			lambda u: self.get("frappe.desk.form.load.getdoc", u, doctype=doctype, name=name),
		)
		yield (
			"client.validate_link",
			BY_NAME,
			lambda u: self.get(
				"frappe.client.validate_link", u, doctype=doctype, docname=name, fields='["owner"]'
			),
		)
		yield (
			"linked_with.get",
			BY_NAME,
			lambda u: self.get("frappe.desk.form.linked_with.get", u, doctype=doctype, docname=name),
		)
		yield (
			"printview",
			BY_NAME,
			lambda u: self.get("frappe.www.printview.get_html_and_style", u, doc=doctype, name=name),
		)
		yield (
			"printview page",
			BY_NAME,
			lambda u: self.raw(
				"GET",
				"/printview",
				query_string={"doctype": doctype, "name": name},
				headers=self.auth(u),
			),
		)
		yield (
			"search.get_link_title",
			BY_NAME,
			lambda u: self.get("frappe.desk.search.get_link_title", u, doctype=doctype, docname=name),
		)
		yield (
			"chart group-by name",
			LISTING,
			lambda u: self.post_form(
				"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
				u,
				chart=j(
					{
						"chart_type": "Group By",
						"document_type": doctype,
						"parent_document_type": parent,
						"group_by_type": "Count",
						"group_by_based_on": "name",
						"name": "x",
					}
				),
			),
		)
		yield (
			"chart heatmap",
			LISTING,
			lambda u: self.post_form(
				"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
				u,
				chart=j(
					{
						"chart_type": "Count",
						"type": "Heatmap",
						"document_type": doctype,
						"based_on": "creation",
						"name": name,
					}
				),
			),
		)

	def count_paths(self, doctype: str, name: str):
		"""Paths that answer a number: must not count A's record."""
		parent = PARENT_DOCTYPES.get(doctype)
		name_filter = j({"name": name})
		yield (
			"client.get_count",
			lambda u: self.get("frappe.client.get_count", u, doctype=doctype, filters=name_filter),
		)
		yield (
			"reportview.get_count",
			lambda u: self.post_form(
				"frappe.desk.reportview.get_count",
				u,
				doctype=doctype,
				filters=name_filter,
				**({"parent_doctype": parent} if parent else {}),
			),
		)
		yield (
			"number_card.get_result",
			lambda u: self.post_form(
				"frappe.desk.doctype.number_card.number_card.get_result",
				u,
				doc=j({"document_type": doctype, "parent_document_type": parent, "function": "Count"}),
				filters=j([[doctype, "name", "=", name]]),
			),
		)
		yield (
			"group_by_count assigned_to",
			lambda u: self.get(
				"frappe.desk.listview.get_group_by_count",
				u,
				doctype=doctype,
				current_filters=name_filter,
				field="assigned_to",
			),
		)
		yield (
			"group_by_count owner",
			lambda u: self.get(
				"frappe.desk.listview.get_group_by_count",
				u,
				doctype=doctype,
				current_filters=name_filter,
				field="owner",
			),
		)

	def write_paths(self, doctype: str, name: str):
		"""(label, call) for every write or grant path against A's record."""
		field = self.text_field(doctype)
		owner_field = RULES[doctype].owner_field if doctype in RULES else None
		body = {field: "HIJACK"}
		if owner_field:
			body[owner_field] = "@attacker"
		stored = frappe.get_doc(doctype, name).as_dict()
		edited = {**stored, field: "HIJACK", "__unsaved": 1}

		def sub(value, user):
			return {k: (user if v == "@attacker" else v) for k, v in value.items()}

		yield (
			"PUT resource",
			lambda u: self.call("PUT", f"/api/resource/{doctype}/{name}", u, body=sub(body, u)),
		)
		yield (
			"PATCH v2 document",
			lambda u: self.call("PATCH", f"/api/v2/document/{doctype}/{name}", u, body=sub(body, u)),
		)
		yield (
			"client.set_value",
			lambda u: self.post_form(
				"frappe.client.set_value", u, doctype=doctype, name=name, fieldname=field, value="HIJACK"
			),
		)
		yield "client.save", lambda u: self.post_form("frappe.client.save", u, doc=j(edited))
		yield (
			"savedocs",
			lambda u: self.post_form("frappe.desk.form.save.savedocs", u, doc=j(edited), action="Save"),
		)
		yield (
			"bulk update",
			lambda u: self.post_form(
				"frappe.desk.doctype.bulk_update.bulk_update.submit_cancel_or_update_docs",
				u,
				doctype=doctype,
				docnames=j([name]),
				action="update",
				data=j({field: "HIJACK"}),
			),
		)
		yield "DELETE resource", lambda u: self.call("DELETE", f"/api/resource/{doctype}/{name}", u)
		yield "client.delete", lambda u: self.post_form("frappe.client.delete", u, doctype=doctype, name=name)
		yield (
			"rename_doc",
			lambda u: self.post_form(
				"frappe.client.rename_doc", u, doctype=doctype, old_name=name, new_name=name + "-X"
			),
		)
		if doctype in RULES:
			yield (
				"ToDo on A's record",
				lambda u: self.call(
					"POST",
					"/api/resource/ToDo",
					u,
					body={
						"reference_type": doctype,
						"reference_name": name,
						"allocated_to": u,
						"description": "mine",
					},
				),
			)
			yield (
				"assign_to.add",
				lambda u: self.post_form(
					"frappe.desk.form.assign_to.add", u, doctype=doctype, name=name, assign_to=j([u])
				),
			)
			yield (
				"share.add",
				lambda u: self.post_form(
					"frappe.share.add", u, doctype=doctype, name=name, user=u, read=1, write=1
				),
			)
			yield (
				"tag.add_tag",
				lambda u: self.post_form(
					"frappe.desk.doctype.tag.tag.add_tag", u, tag="stolen", dt=doctype, dn=name
				),
			)
			yield "upload_file", lambda u: self.upload(u, doctype, name)
			yield (
				"follow_document",
				lambda u: self.post_form(
					"frappe.desk.form.document_follow.follow_document",
					u,
					doctype=doctype,
					doc_name=name,
					user=u or "Guest",
				),
			)
		for link_field, parent in RULES[doctype].parents if doctype in RULES else ():
			yield (
				f"create under A's {link_field}",
				lambda u, lf=link_field, p=parent: self.call(
					"POST",
					f"/api/resource/{doctype}",
					u,
					body=self.new_child_body(doctype, lf, self.records[p]),
				),
			)
		if CHILD_PARENTS.get(doctype):
			parent = CHILD_PARENTS[doctype]
			row = {
				"doctype": doctype,
				"parent": self.records.get(parent, parent),
				"parenttype": parent,
				"parentfield": PARENT_FIELDS[doctype],
				field: "x@hijack.example.com",
			}
			yield (
				"POST resource child row",
				lambda u: self.call("POST", f"/api/resource/{doctype}", u, body=row),
			)
			yield "client.insert child row", lambda u: self.post_form("frappe.client.insert", u, doc=j(row))

	def new_child_body(self, doctype: str, link_field: str, parent_name: str) -> dict:
		body = {link_field: parent_name}
		for df in frappe.get_meta(doctype).fields:
			if df.reqd and df.fieldname != link_field and df.fieldtype not in frappe.model.table_fields:
				body[df.fieldname] = {
					"Date": frappe.utils.today(),
					"Datetime": frappe.utils.now(),
					"Select": (df.options or "\n").split("\n")[-1],
					"Link": None,
				}.get(df.fieldtype, "planted")
		return {k: v for k, v in body.items() if v is not None} | {link_field: parent_name}

	@staticmethod
	def text_field(doctype: str) -> str:
		for df in frappe.get_meta(doctype).fields:
			if df.fieldtype in ("Data", "Small Text", "Text") and not df.read_only and not df.options:
				return df.fieldname
		return "name"

	# ------------------------------------------------------------------ request helpers

	def post_form(self, method: str, caller, **data) -> Reply:
		return self.call("POST", self.path(method), caller, body=data)

	def upload(self, user, doctype: str, name: str) -> Reply:
		data = {
			"doctype": doctype,
			"docname": name,
			"is_private": "1",
			"file": (io.BytesIO(b"planted"), "planted.txt"),
		}
		return self.raw("POST", "/api/method/upload_file", headers=self.auth(user), data=data)

	# ------------------------------------------------------------------ the matrix

	def test_matrix(self):
		leaks, checks = [], 0
		attackers = (self.rep_b, self.lead_b, self.plain, None)
		for doctype, name in self.records.items():
			secrets = self.secrets(doctype)
			for label, kind, request in self.read_paths(doctype, name):
				for user in attackers:
					checks += 1
					reply = request(user)
					text = reply.text
					if kind == BY_NAME and reply.status >= 400:
						# a refusal may echo the name it was given (a synced Contact's name holds the marker)
						text = text.replace(name, "")
					found = [s for s in secrets if s in text]
					if found or reply.status >= 500:
						leaks.append(f"{user or 'Guest'} read {doctype} via {label}: {reply.status} {found}")
			for label, request in self.count_paths(doctype, name):
				for user in attackers:
					checks += 1
					reply = request(user)
					value = reply.message if reply.status == 200 else None
					counted = value not in (None, 0, [], {}) and not (
						isinstance(value, dict) and value.get("total_count") == 0
					)
					if counted or reply.status >= 500 or any(s in reply.text for s in secrets):
						leaks.append(
							f"{user or 'Guest'} counted {doctype} via {label}: {reply.status} {reply.text[:200]}"
						)
			for label, request in self.write_paths(doctype, name):
				for user in attackers:
					checks += 1
					reply = request(user)
					if (reply.status < 400 and label != "bulk update") or reply.status >= 500:
						leaks.append(
							f"{user or 'Guest'} wrote {doctype} via {label}: {reply.status} {reply.text[:300]}"
						)
		checks += self.other_paths(leaks, attackers)
		print(
			f"\npermission matrix: {checks} checks ({len(self.records)} doctypes x {len(attackers)} users), {len(leaks)} leaks"
		)
		self.assertEqual(leaks, [], "\n".join(leaks))
		self.assertEqual(self.snapshot(), self.before, "rep A's records changed under refused attempts")

	def other_paths(self, leaks: list[str], attackers) -> int:
		"""Rows of Frappe doctypes that point at A's records: files, tag links, notifications."""
		checks = 0
		probes = [
			(
				"File list by attached_to_name",
				lambda u: self.call(
					"GET",
					"/api/resource/File",
					u,
					params={"filters": j({"attached_to_name": self.customer_a}), "fields": '["*"]'},
				),
			),
			("File by name", lambda u: self.call("GET", f"/api/resource/File/{self.file_name}", u)),
			(
				"private file download",
				lambda u: self.raw("GET", self.file_url, headers=self.auth(u)),
			),
			(
				"Tag Link list",
				lambda u: self.call(
					"GET", "/api/resource/Tag Link", u, params={"fields": '["*"]', "limit_page_length": "500"}
				),
			),
			(
				"tag.get_tagged_docs",
				lambda u: self.get(
					"frappe.desk.doctype.tag.tag.get_tagged_docs",
					u,
					doctype=constants.CUSTOMER,
					tag=f"%{MARK}desk%",
				),
			),
			(
				"Notification Log by name",
				lambda u: self.call("GET", f"/api/resource/Notification Log/{self.notification}", u),
			),
			("app API customers.get", lambda u: self.get("customers.get", u, customerId=self.customer_a)),
			("app API dashboard as A", lambda u: self.get("dashboard.get", u, userId=self.rep_a)),
			(
				"app API interactions.get",
				lambda u: self.get("interactions.get", u, customerId=self.customer_a),
			),
			("app API leads.get as A", lambda u: self.get("leads.get", u, userId=self.rep_a)),
			(
				"app API tagged names",
				lambda u: self.get(
					"crm_module.api.sales.get_tagged_names", u, tag=f"{MARK}tag", doctype=constants.CUSTOMER
				),
			),
			(
				"app API notes",
				lambda u: self.get(
					"crm_module.api.sales.get_notes",
					u,
					reference_doctype=constants.CUSTOMER,
					reference_name=self.customer_a,
				),
			),
			(
				"app API timeline",
				lambda u: self.get("crm_module.api.sales.get_activity_timeline", u, customer=self.customer_a),
			),
		]
		secrets = {MARK, MARK.lower(), *self.records.values()}
		for label, request in probes:
			for user in attackers:
				checks += 1
				reply = request(user)
				# a refusal may repeat the name it was asked about; only content is a leak then
				found = [
					s for s in (secrets if reply.status < 400 else {MARK, MARK.lower()}) if s in reply.text
				]
				if found or reply.status >= 500:
					leaks.append(f"{user or 'Guest'} read {label}: {reply.status} {found}")
		return checks + self.oracle_paths(leaks, attackers)

	def oracle_paths(self, leaks: list[str], attackers) -> int:
		"""Counts and searches over Frappe doctypes that copy CRM text: a `like` filter must not work
		as an oracle, and nothing may be changed or marked through them."""
		checks = 0
		counts = [
			("Notification Log", {"subject": ["like", f"%{MARK}%"]}),
			("File", {"file_name": ["like", f"{MARK}%"]}),
			("Tag Link", {"tag": ["like", f"{MARK}%"]}),
			("Comment", {"reference_name": self.customer_a}),
			("ToDo", {"reference_name": self.customer_a}),
			("Version", {"docname": self.customer_a}),
		]
		for doctype, filters in counts:
			for user in attackers:
				checks += 1
				reply = self.get("frappe.client.get_count", user, doctype=doctype, filters=j(filters))
				if reply.status >= 500 or (reply.status == 200 and reply.message):
					leaks.append(
						f"{user or 'Guest'} counted {doctype} {filters}: {reply.status} {reply.text[:200]}"
					)
		for doctype in ("Notification Log", "File", "Tag Link", "ToDo", "Comment"):
			for method in ("search_widget", "search_link"):
				for user in attackers:
					checks += 1
					reply = self.get(
						f"frappe.desk.search.{method}",
						user,
						doctype=doctype,
						txt=MARK,
						ignore_user_permissions="1",
					)
					if MARK in reply.text or reply.status >= 500:
						leaks.append(f"{user or 'Guest'} searched {doctype} via {method}: {reply.status}")
		writes = [
			(
				"mark another's notification read",
				lambda u: self.post_form(
					"frappe.desk.doctype.notification_log.notification_log.mark_as_read",
					u,
					docname=self.notification,
				),
			),
			(
				"like A's customer",
				lambda u: self.post_form(
					"frappe.desk.like.toggle_like",
					u,
					doctype=constants.CUSTOMER,
					name=self.customer_a,
					add="Yes",
				),
			),
			(
				"kanban update_order",
				lambda u: self.post_form(
					"frappe.desk.doctype.kanban_board.kanban_board.update_order",
					u,
					board_name="CRM Opportunities",
					order=j(
						{
							frappe.db.get_value(
								constants.OPPORTUNITY, self.records[constants.OPPORTUNITY], "stage"
							): [self.records[constants.OPPORTUNITY]]
						}
					),
				),
			),
			(
				"kanban move card",
				lambda u: self.post_form(
					"frappe.desk.doctype.kanban_board.kanban_board.update_order_for_single_card",
					u,
					board_name="CRM Opportunities",
					docname=self.records[constants.OPPORTUNITY],
					from_colname="x",
					to_colname="y",
					old_index=0,
					new_index=0,
				),
			),
			(
				"link own opportunity to A's contact",
				lambda u: self.call(
					"PUT",
					f"/api/resource/{constants.OPPORTUNITY}/{self.opportunity_b}",
					u,
					body={"contact": self.records[constants.CONTACT]},
				),
			),
			(
				"merge own note into A's note",
				lambda u: self.post_form(
					"frappe.client.rename_doc",
					u,
					doctype=constants.NOTE,
					old_name=self.note_b,
					new_name=self.records[constants.NOTE],
					merge=1,
				),
			),
		]
		for label, request in writes:
			for user in attackers:
				checks += 1
				reply = request(user)
				if reply.status < 400 or reply.status >= 500:
					leaks.append(f"{user or 'Guest'} {label}: {reply.status} {reply.text[:200]}")
		# a document named by filters: a match among A's rows must answer exactly like no match
		for doctype, name in self.records.items():
			parent = PARENT_DOCTYPES.get(doctype)
			for user in attackers:
				checks += 1
				answers = [
					self.get(
						"frappe.client.get",
						user,
						doctype=doctype,
						filters=j({"name": probe}),
						**({"parent": parent} if parent else {}),
					).status
					for probe in (name, name + "-no-such-record")
				]
				if answers[0] != answers[1] or max(answers) >= 500:
					leaks.append(f"{user or 'Guest'} filter oracle on {doctype}: {answers}")
		return checks

	def test_positive_controls(self):
		"""The detector sees the markers when access is legitimate (rep A on own records, the manager)."""
		for doctype, name in self.records.items():
			parent = PARENT_DOCTYPES.get(doctype)
			if doctype in SYNCED:
				# no CRM role reads Frappe's Contact / ERPNext's Customer (the sync grants nothing);
				# ERPNext's Sales User reads both (without ERPNext nobody but System Managers)
				if getattr(self, "sales_user", None):
					reply = self.call("GET", f"/api/resource/{doctype}/{name}", self.sales_user)
					self.assertEqual(reply.status, 200, f"Sales User {doctype}: {reply.text[:300]}")
					self.assertIn(name, reply.text)
				continue
			readers = (
				(self.manager,)
				if doctype in (constants.SEGMENT_MEMBER, constants.FIT_RULE)
				else (self.rep_a, self.lead_a, self.manager)
			)
			for user in readers:
				if parent:
					reply = self.get(
						"frappe.client.get_list",
						user,
						doctype=doctype,
						parent=parent,
						fields='["name"]',
						limit_page_length="0",
					)
				else:
					reply = self.call("GET", f"/api/resource/{doctype}/{name}", user)
				self.assertEqual(reply.status, 200, f"{user} {doctype}: {reply.text[:300]}")
				self.assertIn(name, reply.text, f"{user} cannot see own {doctype}")
			if not parent:
				for user in (self.rep_a, self.lead_a):
					count = self.get(
						"frappe.client.get_count",
						user,
						doctype=doctype,
						filters=j({"name": name}),
					)
					self.assertEqual(count.message, 1, f"{user} {doctype}: {count.text[:200]}")
		reply = self.get(
			"frappe.desk.search.search_link",
			self.rep_a,
			doctype=constants.CONTACT,
			txt=MARK,
			ignore_user_permissions="1",
		)
		self.assertIn(self.records[constants.CONTACT], reply.text)
