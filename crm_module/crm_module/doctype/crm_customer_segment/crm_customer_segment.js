// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Customer Segment", {
	refresh(frm) {
		const dynamic = frm.doc.segment_type === "Dynamic";
		frm.set_df_property("members", "read_only", dynamic ? 1 : 0);
		frm.set_df_property(
			"criteria",
			"description",
			__(
				'Example: {"match": "all", "conditions": [{"field": "health_score", "op": "<", "value": 50}, {"field": "days_since_last_interaction", "op": ">=", "value": 60}]}. Fields: lifecycle_stage, segment, industry, company_size, engagement_level, health_score, risk_level, days_since_last_interaction, open_opportunities, pipeline_value, interactions_90d.'
			)
		);
		if (dynamic && !frm.is_new()) {
			frm.add_custom_button(__("Evaluate now"), () =>
				frappe.call({
					method: "crm_module.api.scoring.evaluate_segment",
					args: { segment: frm.doc.name },
					freeze: true,
					callback: () => frm.reload_doc(),
				})
			);
		}
	},
	segment_type(frm) {
		frm.trigger("refresh");
	},
});
