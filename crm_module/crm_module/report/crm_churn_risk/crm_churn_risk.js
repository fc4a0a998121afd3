// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Churn Risk"] = {
	filters: [
		{ fieldname: "min_probability", label: __("At Least (%)"), fieldtype: "Percent", default: 50 },
		{ fieldname: "account_owner", label: __("Account Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "segment", label: __("Segment"), fieldtype: "Data" },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "CRM Sales Territory", description: __("and its sub-territories") },
	],
};
