// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// The server recomputes total and grade from the components (weights and thresholds in CRM Module Settings).
const crm_clear_total = (frm) => frm.set_value({ total_score: null, grade: "" });

frappe.ui.form.on("CRM Lead Score", {
	engagement_score: crm_clear_total,
	fit_score: crm_clear_total,
	activity_score: crm_clear_total,
});
