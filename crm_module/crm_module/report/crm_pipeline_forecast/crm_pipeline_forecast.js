// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Pipeline Forecast"] = {
	// readable chart: bars across for long names, money axis in k / M (public/js/crm_charts.js)
	onload: (report) => crm_module.charts.setup_report(report),
	filters: [
		{ fieldname: "pipeline", label: __("Pipeline"), fieldtype: "Link", options: "CRM Pipeline" },
		{
			fieldname: "sales_rep",
			label: __("Sales Rep"),
			fieldtype: "Link",
			options: "User",
			description: __("Managers, and team leads for their team: see the pipeline as this rep sees it"),
		},
		{ fieldname: "from_date", label: __("Created From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Created To"), fieldtype: "Date" },
	],
};
