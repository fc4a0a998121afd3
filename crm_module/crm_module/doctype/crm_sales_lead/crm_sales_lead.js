// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// ---------------------------------------------------------------------------------------------------------
// Sales process (issue 4): "Convert to Customer" button. Self-contained block.
// ---------------------------------------------------------------------------------------------------------
frappe.ui.form.on("CRM Sales Lead", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.status === "Converted" && frm.doc.converted_customer) {
			frm.add_custom_button(__("Customer"), () =>
				frappe.set_route("Form", "CRM Customer Profile", frm.doc.converted_customer)
			);
		} else if (frm.doc.status !== "Lost" && !frm.is_dirty()) {
			frm.add_custom_button(__("Convert to Customer"), () => crm_convert_lead_dialog(frm)).addClass(
				"btn-primary"
			);
		}
	},
});

function crm_convert_lead_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Convert {0}", [frm.doc.lead_name]),
		fields: [
			{ fieldname: "create_opportunity", fieldtype: "Check", label: __("Create an opportunity") },
			{
				fieldname: "opportunity_name",
				fieldtype: "Data",
				label: __("Opportunity Name"),
				default: __("{0} - New Business", [frm.doc.company_name || frm.doc.lead_name]),
				depends_on: "create_opportunity",
			},
			{ fieldname: "value", fieldtype: "Currency", label: __("Value"), depends_on: "create_opportunity" },
		],
		primary_action_label: __("Convert"),
		primary_action(values) {
			const opportunity = values.create_opportunity
				? { opportunity_name: values.opportunity_name, value: values.value || 0 }
				: null;
			frappe.call({
				method: "crm_module.api.sales.convert_lead",
				args: { lead: frm.doc.name, create_opportunity: values.create_opportunity ? 1 : 0, opportunity },
				freeze: true,
				freeze_message: __("Converting lead..."),
				callback: (r) => {
					dialog.hide();
					frappe.show_alert({ message: __("Lead converted"), indicator: "green" });
					frappe.set_route("Form", "CRM Customer Profile", r.message.customer);
				},
			});
		},
	});
	dialog.show();
}
// ------------------------------------------- end of sales process ----------------------------------------

// ---------------------------------------------------------------------------------------------------------
// Lead scoring (issue 5): "Score now" button and score-history chart. Self-contained block: other form
// logic for CRM Sales Lead lives in its own frappe.ui.form.on block.
// ---------------------------------------------------------------------------------------------------------
frappe.ui.form.on("CRM Sales Lead", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(
			__("Score now"),
			() =>
				frappe.call({
					method: "crm_module.api.scoring.score_lead",
					args: { lead: frm.doc.name },
					freeze: true,
					freeze_message: __("Scoring lead..."),
					callback: (r) => {
						frappe.show_alert({
							message: __("Score {0} (grade {1})", [r.message.total_score, r.message.grade]),
							indicator: "green",
						});
						frm.reload_doc();
					},
				}),
			__("Scoring")
		);
		crm_render_lead_score_chart(frm);
	},
});

function crm_render_lead_score_chart(frm) {
	frappe.call({
		method: "crm_module.api.scoring.get_score_history",
		args: { lead: frm.doc.name },
		callback: (r) => {
			const rows = r.message || [];
			if (rows.length < 2) return;
			const section = frm.dashboard.add_section(
				'<div class="crm-lead-score-chart"></div>',
				__("Score history")
			);
			frm.dashboard.show();
			new frappe.Chart(section.find(".crm-lead-score-chart")[0], {
				type: "line",
				height: 200,
				data: {
					labels: rows.map((row) => frappe.datetime.str_to_user(row.scoring_date)),
					datasets: [
						{ name: __("Total"), values: rows.map((row) => row.total_score) },
						{ name: __("Engagement"), values: rows.map((row) => row.engagement_score) },
						{ name: __("Fit"), values: rows.map((row) => row.fit_score) },
						{ name: __("Activity"), values: rows.map((row) => row.activity_score) },
					],
				},
			});
		},
	});
}
// ------------------------------------------- end of lead scoring -----------------------------------------
