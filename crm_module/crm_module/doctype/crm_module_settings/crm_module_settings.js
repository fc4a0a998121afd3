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

// Migrations from ERPNext's CRM and Frappe CRM (issue 12): managers queue them; the report lands in a
// CRM Migration Run (bench: `bench --site SITE crm-migrate erpnext|frappe-crm [--dry-run]`)
frappe.ui.form.on("CRM Module Settings", {
	refresh(frm) {
		if (!frappe.user.has_role(["CRM Manager", "System Manager"])) return;
		const versions = frappe.boot.versions || {};
		const sources = [
			["erpnext", "ERPNext", versions.erpnext],
			["frappe-crm", "Frappe CRM", versions.crm],
		];
		for (const [source, label, installed] of sources) {
			if (!installed) continue;
			frm.add_custom_button(
				__("Migrate from {0}", [label]),
				() =>
					frappe.confirm(
						__(
							"Copy {0}'s CRM records into this app (running it again only brings what changed since)?",
							[label]
						),
						() =>
							frappe.call({
								method: "crm_module.api.migration.enqueue_migration",
								args: { source },
								callback: (r) => {
									frappe.show_alert({
										message: __("Migration queued: the report will be in {0}", [r.message.run]),
										indicator: "green",
									});
									frappe.set_route("Form", "CRM Migration Run", r.message.run);
								},
							})
					),
				__("Migrate")
			);
		}
		if (sources.some(([, , installed]) => installed)) {
			frm.add_custom_button(__("Migration Runs"), () => frappe.set_route("List", "CRM Migration Run"), __("Migrate"));
		}
	},
});
