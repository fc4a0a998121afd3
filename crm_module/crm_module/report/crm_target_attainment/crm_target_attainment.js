// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Target Attainment"] = {
	// readable chart: bars across for long names, money axis in k / M (public/js/crm_charts.js)
	onload: (report) => crm_module.charts.setup_report(report),
	filters: [
		{
			fieldname: "period_type",
			label: __("Period Type"),
			fieldtype: "Select",
			options: "\nMonth\nQuarter",
		},
		{
			fieldname: "from_date",
			label: __("Periods From"),
			fieldtype: "Date",
			default: frappe.datetime.year_start(),
		},
		{
			fieldname: "to_date",
			label: __("Periods To"),
			fieldtype: "Date",
			default: frappe.datetime.year_end(),
		},
		{
			fieldname: "target_for",
			label: __("Target For"),
			fieldtype: "Select",
			options: "\nRep\nTeam\nTerritory",
		},
		{ fieldname: "sales_team", label: __("Sales Team"), fieldtype: "Link", options: "CRM Sales Team" },
		{
			fieldname: "territory",
			label: __("Territory"),
			fieldtype: "Link",
			options: "CRM Sales Territory",
		},
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "attainment" && data && data.attainment !== null) {
			const colour = data.attainment >= 100 ? "green" : data.attainment >= 70 ? "orange" : "red";
			value = `<span style="color: var(--${colour}-600)">${value}</span>`;
		}
		return value;
	},
};
