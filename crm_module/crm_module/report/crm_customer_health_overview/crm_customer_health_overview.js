// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Customer Health Overview"] = {
	filters: [
		{ fieldname: "risk_level", label: __("Risk Level"), fieldtype: "Select", options: "\nGreen\nYellow\nRed" },
		{ fieldname: "account_owner", label: __("Account Owner"), fieldtype: "Link", options: "User" },
		{
			fieldname: "lifecycle_stage",
			label: __("Lifecycle Stage"),
			fieldtype: "Select",
			options: "\nSubscriber\nLead\nProspect\nOpportunity\nCustomer\nEvangelist\nChurned",
		},
		{ fieldname: "segment", label: __("Segment"), fieldtype: "Data" },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "CRM Sales Territory", description: __("and its sub-territories") },
		{ fieldname: "limit", label: __("Show"), fieldtype: "Int", default: 500, description: __("customers most at risk (at most 5,000)") },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "risk_level" && data && data.risk_level) {
			value = `<span class="crm-risk-${data.risk_level.toLowerCase()}">${value}</span>`;
		}
		return value;
	},
};
