// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Conversion Metrics"] = {
	// readable chart: bars across for long names, money axis in k / M (public/js/crm_charts.js)
	onload: (report) => crm_module.charts.setup_report(report),
	filters: [
		{
			fieldname: "sales_rep",
			label: __("Sales Rep"),
			fieldtype: "Link",
			options: "User",
			description: __("Managers, and team leads for their team: see the figures of this rep"),
		},
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", default: frappe.datetime.add_days(frappe.datetime.get_today(), -90) },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", default: frappe.datetime.get_today() },
	],
	// one Value column with figures of several kinds: each row names its fieldtype (and money rows
	// their currency), so a deal size reads "$ 42,000.00" and a rate "35%"
	formatter(value, row, column, data, default_formatter) {
		if (column.fieldname === "value" && data && data.fieldtype) {
			column = { ...column, fieldtype: data.fieldtype, options: data.fieldtype === "Currency" ? "currency" : null };
		}
		return default_formatter(value, row, column, data);
	},
};
