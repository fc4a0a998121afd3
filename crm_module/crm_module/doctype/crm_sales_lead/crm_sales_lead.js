// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// ---------------------------------------------------------------------------------------------------------
// Sales process (issue 4): "Convert to Customer" button, with a preview of what it creates (issue 11).
// Self-contained block.
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
	const company = frm.doc.company_name || frm.doc.lead_name;
	const dialog = new frappe.ui.Dialog({
		title: __("Convert {0}", [frm.doc.lead_name]),
		size: "large",
		fields: [
			{ fieldname: "preview", fieldtype: "HTML" },
			{ fieldname: "section_opportunity", fieldtype: "Section Break" },
			{ fieldname: "create_opportunity", fieldtype: "Check", label: __("Also create an opportunity") },
			{
				fieldname: "opportunity_name",
				fieldtype: "Data",
				label: __("Opportunity Name"),
				default: __("{0} - New Business", [company]),
				depends_on: "create_opportunity",
				mandatory_depends_on: "create_opportunity",
			},
			{ fieldname: "column_break_value", fieldtype: "Column Break" },
			{
				fieldname: "value",
				fieldtype: "Currency",
				label: __("Value"),
				depends_on: "create_opportunity",
			},
			{
				fieldname: "expected_close_date",
				fieldtype: "Date",
				label: __("Expected Close Date"),
				depends_on: "create_opportunity",
			},
		],
		primary_action_label: __("Convert"),
		primary_action(values) {
			const opportunity = values.create_opportunity
				? {
						opportunity_name: values.opportunity_name,
						value: values.value || 0,
						...(values.expected_close_date
							? { expected_close_date: values.expected_close_date }
							: {}),
				  }
				: null;
			frappe.call({
				method: "crm_module.api.sales.convert_lead",
				args: {
					lead: frm.doc.name,
					create_opportunity: values.create_opportunity ? 1 : 0,
					opportunity,
				},
				freeze: true,
				freeze_message: __("Converting lead..."),
				callback: (r) => {
					dialog.hide();
					frappe.show_alert({ message: __("Lead converted"), indicator: "green" });
					if (r.message.erpnext_note) {
						// ERPNext refused its Customer (e.g. the user's ERPNext permissions); the lead converted anyway
						frappe.show_alert(
							{ message: frappe.utils.escape_html(r.message.erpnext_note), indicator: "orange" },
							10
						);
					}
					frappe.set_route("Form", "CRM Customer Profile", r.message.customer);
				},
			});
		},
	});
	const render = () =>
		dialog.fields_dict.preview.$wrapper.html(crm_conversion_preview(frm, dialog.get_values(true) || {}));
	["create_opportunity", "opportunity_name", "value", "expected_close_date"].forEach((fieldname) => {
		dialog.fields_dict[fieldname].df.onchange = render;
	});
	render();
	dialog.show();
}

function crm_conversion_preview(frm, values) {
	// what crm_module/services/conversion.py makes of the lead (all or nothing)
	const esc = frappe.utils.escape_html;
	const doc = frm.doc;
	const [first, ...rest] = (doc.lead_name || "").trim().split(/\s+/);
	const owner = doc.lead_owner || frappe.session.user;
	const line = (label, value) =>
		value ? `<div><span class="text-muted">${label}:</span> ${esc(String(value))}</div>` : "";
	const block = (icon, title, body) => `<div class="crm-convert-block">
		<div class="crm-convert-title">${frappe.utils.icon(icon, "sm")} ${title}</div>${body}</div>`;
	const blocks = [
		block(
			"customer",
			__("Customer profile"),
			line(__("Company"), doc.company_name || doc.lead_name) +
				line(__("Industry"), doc.industry) +
				line(__("Company Size"), doc.company_size) +
				line(__("Website"), doc.website) +
				line(__("Account Owner"), frappe.user.full_name(owner)) +
				line(__("Lifecycle Stage"), __("Customer"))
		),
		block(
			"users",
			__("Primary contact"),
			line(__("Name"), [first, rest.join(" ")].filter(Boolean).join(" ")) +
				line(__("Job Title"), doc.job_title) +
				line(__("Email"), doc.email_id) +
				line(__("Phone"), doc.phone)
		),
	];
	if (values.create_opportunity) {
		blocks.push(
			block(
				"sell",
				__("Opportunity"),
				line(__("Name"), values.opportunity_name) +
					line(__("Value"), format_currency(values.value || 0)) +
					line(
						__("Expected Close Date"),
						values.expected_close_date && frappe.datetime.str_to_user(values.expected_close_date)
					) +
					line(__("Stage"), __("first stage of the default pipeline"))
			)
		);
	}
	return `<div class="crm-convert-preview">
		<p class="text-muted small">${__(
			"Converting creates these records and marks the lead Converted. If any step fails, nothing is created."
		)}</p>
		<div class="crm-convert-blocks">${blocks.join("")}</div>
	</div>`;
}
// ------------------------------------------- end of sales process ----------------------------------------

// ---------------------------------------------------------------------------------------------------------
// Lead scoring (issue 5, insights issue 11): "Score now" button; score history, grade and the predicted
// conversion probability with what drives it, in the form dashboard. Self-contained block: other form
// logic for CRM Sales Lead lives in its own frappe.ui.form.on block.
// ---------------------------------------------------------------------------------------------------------
frappe.ui.form.on("CRM Sales Lead", {
	refresh(frm) {
		crm_module.lead_insights.remove(frm);
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
		// the explanation below reads prediction_factors; its raw JSON is of no use on the form
		frm.toggle_display("prediction_factors", false);
		crm_module.lead_insights.load(frm);
	},
});

frappe.provide("crm_module.lead_insights");

Object.assign(crm_module.lead_insights, {
	SECTION: "crm-lead-insights",
	FEATURES: {
		source: __("Source"),
		industry: __("Industry"),
		company_size: __("Company Size"),
		email_type: __("Email"),
		has_phone: __("Phone given"),
	},
	GRADES: { A: "green", B: "blue", C: "orange", D: "red" },

	remove(frm) {
		$(frm.dashboard.parent).find(`.form-dashboard-section.${this.SECTION}`).remove();
	},

	load(frm) {
		const token = (frm.__crm_insights_token = frappe.utils.get_random(8));
		frappe
			.call({
				method: "crm_module.api.scoring.get_score_history",
				type: "GET",
				args: { lead: frm.doc.name },
			})
			.then((r) => {
				if (token !== frm.__crm_insights_token) return;
				this.render(frm, r.message || []);
			});
	},

	render(frm, history) {
		this.remove(frm);
		const html = `<div class="crm-360 crm-lead-insights-grid">
			<div class="crm-360-card">${this.score_html(frm.doc, history)}</div>
			<div class="crm-360-card">${this.prediction_html(frm.doc)}</div>
		</div>`;
		const $body = frm.dashboard.add_section(
			html,
			frappe.utils.escape_html(__("Lead Insights")),
			this.SECTION
		);
		frm.dashboard.show();
		const draw = () => this.draw_chart($body.find(".crm-lead-score-chart"), history);
		$body
			.closest(".form-dashboard-section")
			.find(".section-head")
			.on("click", () => setTimeout(draw, 50));
		setTimeout(draw, 0);
	},

	score_html(doc, history) {
		const grade = doc.latest_grade;
		const head = `<div class="crm-360-card-head"><span>${__("Lead Score")}</span>${
			doc.scored_on
				? `<span class="small text-muted">${__("scored {0}", [
						frappe.datetime.str_to_user(doc.scored_on),
				  ])}</span>`
				: ""
		}</div>`;
		if (!grade && !history.length) {
			return `${head}<div class="crm-360-empty">${__(
				"Not scored yet: use Scoring > Score now, or wait for the nightly run."
			)}</div>`;
		}
		const latest = history[history.length - 1] || {};
		const part = (label, value) =>
			value === undefined || value === null
				? ""
				: `<span class="crm-lead-part"><span class="text-muted">${label}</span> <b>${cint(
						value
				  )}</b></span>`;
		return `${head}
			<div class="crm-lead-score-head">
				<span class="crm-lead-grade crm-grade-${this.GRADES[grade] || "gray"}" title="${__(
			"Grade"
		)}">${frappe.utils.escape_html(grade || "–")}</span>
				<div>
					<div class="crm-360-score-value">${cint(doc.latest_score)}</div>
					<div class="small crm-lead-parts">${part(__("Engagement"), latest.engagement_score)}${part(
			__("Fit"),
			latest.fit_score
		)}${part(__("Activity"), latest.activity_score)}</div>
				</div>
			</div>
			<div class="crm-lead-score-chart"></div>`;
	},

	draw_chart($el, rows) {
		if (!$el.length || !$el.is(":visible") || !$el.width()) return;
		$el.empty();
		if (rows.length < 2) {
			$el.html(
				`<div class="crm-360-empty">${__("The history shows from the second scoring on.")}</div>`
			);
			return;
		}
		// the chart's own legend does not wrap (cut off on phones): a legend of our own below it
		const series = [
			[__("Total"), "total_score", "#2490EF"],
			[__("Engagement"), "engagement_score", "#ECAD4B"],
			[__("Fit"), "fit_score", "#29CD42"],
			[__("Activity"), "activity_score", "#7575FF"],
		];
		const $chart = $("<div>").appendTo($el);
		$el.append(
			`<div class="crm-chart-legend">${series
				.map(
					([label, _key, colour]) =>
						`<span><i style="background: ${colour}"></i>${frappe.utils.escape_html(label)}</span>`
				)
				.join("")}</div>`
		);
		new frappe.Chart($chart[0], {
			type: "line",
			height: 160,
			colors: series.map(([_label, _key, colour]) => colour),
			showLegend: 0,
			data: {
				labels: rows.map((row) => frappe.datetime.str_to_user(row.scoring_date)),
				datasets: series.map(([label, key]) => ({
					name: label,
					values: rows.map((row) => row[key]),
				})),
			},
			axisOptions: { xIsSeries: 1, xAxisMode: "tick" },
			lineOptions: { hideDots: rows.length > 40 ? 1 : 0 },
		});
	},

	prediction_html(doc) {
		const esc = frappe.utils.escape_html;
		const head = `<div class="crm-360-card-head"><span>${__("Conversion Probability")}</span></div>`;
		let info = {};
		try {
			info = JSON.parse(doc.prediction_factors || "{}") || {};
		} catch (e) {
			info = {};
		}
		if (["Converted", "Lost"].includes(doc.status)) {
			return `${head}<div class="crm-360-empty">${__("The lead is {0}: nothing left to predict.", [
				__(doc.status).toLowerCase(),
			])}</div>`;
		}
		if (info.status !== "predicted") {
			const needed = info.required
				? __(
						"The model learns from decided leads: it needs {0} converted or lost leads, at least {1} of each, and has {2}.",
						[info.required, info.required_per_class, cint(info.history)]
				  )
				: __("The nightly run predicts the conversion of open leads.");
			return `${head}<div class="crm-360-empty">${__("No prediction yet.")} ${esc(needed)}</div>`;
		}
		const probability = flt(doc.conversion_probability, 1);
		const factors = info.factors || [];
		const biggest = Math.max(...factors.map((f) => Math.abs(f.effect)), 0.0001);
		const rows = factors
			.map((f) => {
				const odds = Math.exp(f.effect);
				const up = f.effect >= 0;
				const width = Math.round((50 * Math.abs(f.effect)) / biggest);
				const label =
					this.FEATURES[f.feature] || frappe.utils.to_title_case(f.feature.replace(/_/g, " "));
				return `<div class="crm-lead-factor">
					<div class="crm-lead-factor-label"><span>${esc(label)}:</span> <b>${esc(
					f.value === "(blank)" ? __("not given") : __(f.value)
				)}</b></div>
					<div class="crm-lead-factor-bar" title="${esc(
						up
							? __("raises the odds {0}×", [format_number(odds, null, 2)])
							: __("lowers the odds {0}×", [format_number(1 / odds, null, 2)])
					)}">
						<span class="${up ? "crm-up" : "crm-down"}" style="width: ${width}%"></span>
					</div>
					<div class="crm-lead-factor-effect ${up ? "text-success" : "text-danger"}">${up ? "▲" : "▼"} ${esc(
					format_number(up ? odds : 1 / odds, null, 1)
				)}×</div>
				</div>`;
			})
			.join("");
		return `${head}
			<div class="crm-lead-probability">
				<span class="crm-360-score-value">${probability}%</span>
				<div class="progress crm-360-bar"><div class="progress-bar" style="width: ${Math.min(
					100,
					probability
				)}%"></div></div>
			</div>
			<div class="small text-muted">${__(
				"Learned from the site's converted and lost leads. Each detail of this lead raises (▲) or lowers (▼) the odds of converting by the factor shown."
			)}</div>
			<div class="crm-lead-factors">${rows}</div>`;
	},
});
// ------------------------------------------- end of lead scoring -----------------------------------------
