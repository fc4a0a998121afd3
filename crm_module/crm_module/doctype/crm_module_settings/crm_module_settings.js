// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Module Settings", {
	refresh(frm) {
		if (!(frm.doc.fit_rules || []).length) {
			frm.set_intro(
				__(
					"No fit rules: the default rules apply (Referral +25, Website +15, corporate email domain +20, company size 51+ +20, industry set +10, phone set +10)."
				),
				"blue"
			);
		}
		frm.add_custom_button(
			__("Score all open leads"),
			() =>
				frappe.call({
					method: "crm_module.api.scoring.enqueue_bulk_scoring",
					callback: () => frappe.show_alert(__("Lead scoring queued; progress is shown here.")),
				}),
			__("Scoring")
		);
		frm.add_custom_button(
			__("Train conversion model"),
			() =>
				frappe.call({
					method: "crm_module.api.scoring.train_prediction_model",
					freeze: true,
					callback: (r) => {
						const m = r.message;
						frappe.msgprint(
							m.status === "trained"
								? __("Model trained on {0} closed leads; {1} open leads predicted.", [m.history, m.predicted])
								: __("Not enough history: {0} closed leads, at least {1} needed ({2} of each outcome).", [
										m.history,
										m.required,
										m.required_per_class,
								  ])
						);
						frm.reload_doc();
					},
				}),
			__("Scoring")
		);
	},
});
