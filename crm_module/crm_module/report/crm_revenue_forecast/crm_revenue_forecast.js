// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Revenue Forecast"] = {
	// readable chart: bars across for long names, money axis in k / M (public/js/crm_charts.js)
	onload: (report) => crm_module.charts.setup_report(report),
	filters: [
		{
			fieldname: "show",
			label: __("Show"),
			fieldtype: "Select",
			options: "Forecast\nChanges",
			default: "Forecast",
			description: __("Changes: what moved in the period since the pipeline snapshot of a week ago"),
		},
		{
			fieldname: "from_date",
			label: __("Close From"),
			fieldtype: "Date",
			default: frappe.datetime.month_start(),
		},
		{
			fieldname: "to_date",
			label: __("Close To"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(frappe.datetime.add_months(frappe.datetime.month_start(), 6), -1),
		},
		{
			fieldname: "compare_to",
			label: __("Compare With Snapshot Of"),
			fieldtype: "Date",
			depends_on: "eval:doc.show == 'Changes'",
			description: __("Default: a week ago"),
		},
		{
			fieldname: "sales_rep",
			label: __("Sales Rep"),
			fieldtype: "Link",
			options: "User",
			description: __("Managers, and team leads for their team: see the forecast as this rep sees it"),
		},
	],
};
