// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Opportunity", {
	setup(frm) {
		frm.set_query("stage", () => ({
			filters: frm.doc.pipeline ? { pipeline: frm.doc.pipeline } : {},
			order_by: "stage_order asc",
		}));
		frm.set_query("contact", () => ({ filters: { customer: frm.doc.customer } }));
		// product lines (issue 20): active catalog products, enabled ERPNext Items
		frm.set_query("item", "lines", (doc, cdt, cdn) => {
			const row = locals[cdt][cdn];
			return { filters: row.item_type === "Item" ? { disabled: 0 } : { is_active: 1 } };
		});
	},

	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Stage History"), () =>
			frappe.set_route("List", "CRM Deal Stage", { opportunity: frm.doc.name })
		);
	},

	pipeline(frm) {
		// the stage must belong to the pipeline: let the server pick the first open stage on save
		if (frm.doc.stage && !frm.doc.stage.endsWith(` - ${frm.doc.pipeline}`)) {
			frm.set_value("stage", null);
		}
	},

	stage(frm) {
		// closing as lost needs the reason (the save is refused without it): ask for it right away
		if (!frm.doc.stage || frm.doc.win_loss_reason) return;
		frappe.db.get_value("CRM Pipeline Stage", frm.doc.stage, ["outcome", "stage_name"]).then((r) => {
			const stage = r.message || {};
			if (stage.outcome !== "Lost" || frm.doc.win_loss_reason) return;
			frappe.prompt(
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Loss Reason"), reqd: 1 },
				(values) => frm.set_value("win_loss_reason", values.reason),
				__("Why was the deal lost?"),
				__("Set Reason")
			);
		});
	},

	probability_percent(frm) {
		// a probability typed by the user sticks across stage moves until "probability_is_manual" is cleared
		if (!frm.doc.__islocal || frm.doc.probability_percent) frm.set_value("probability_is_manual", 1);
	},

	customer(frm) {
		frm.set_value("contact", null);
	},
});

// the lines' amounts and the value as a preview; the server computes both to the cent on save
// (crm_module/domain/opportunity_lines.py)
function update_line_amounts(frm) {
	let total = 0;
	(frm.doc.lines || []).forEach((row) => {
		row.amount = flt(flt(row.qty) * flt(row.rate) * (1 - flt(row.discount_percent) / 100), 2);
		total += row.amount;
	});
	frm.refresh_field("lines");
	if ((frm.doc.lines || []).length) frm.set_value("value", flt(total, 2));
}

frappe.ui.form.on("CRM Opportunity Line", {
	lines_add(frm, cdt, cdn) {
		// with ERPNext, lines name ERPNext Items by default
		if (frappe.boot.versions && frappe.boot.versions.erpnext) {
			frappe.model.set_value(cdt, cdn, "item_type", "Item");
		}
	},
	item_type(frm, cdt, cdn) {
		frappe.model.set_value(cdt, cdn, "item", null);
	},
	qty: update_line_amounts,
	rate: update_line_amounts,
	discount_percent: update_line_amounts,
	lines_remove: update_line_amounts,
});
