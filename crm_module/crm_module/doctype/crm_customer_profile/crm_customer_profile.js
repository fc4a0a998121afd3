// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// ---------------------------------------------------------------------------------------------------------
// Customer 360 (issue 11): health trend and score, open opportunities, contacts, pinned notes, follow-ups
// and the activity timeline in the form dashboard, from one read (crm_module.api.customer_360.get).
// Self-contained block: other form logic for CRM Customer Profile lives in its own frappe.ui.form.on block.
// ---------------------------------------------------------------------------------------------------------
frappe.ui.form.on("CRM Customer Profile", {
	refresh(frm) {
		crm_module.customer_360.remove(frm);
		if (frm.is_new()) return;
		crm_module.customer_360.load(frm);
	},
});

frappe.provide("crm_module.customer_360");

Object.assign(crm_module.customer_360, {
	SECTION: "crm-customer-360",
	RANGES: [90, 365],
	TIMELINE_ICONS: {
		Call: "call",
		Email: "mail",
		Meeting: "calendar",
		Note: "small-file",
		Task: "check",
		SMS: "message-1",
		"Opportunity Created": "add",
		"Stage Change": "arrow-right",
		"Opportunity Won": "star",
		"Opportunity Lost": "close",
		"Opportunity Reopened": "refresh",
		"Lead Converted": "users",
		"Note Added": "small-file",
		"Health Risk Change": "solid-warning",
	},

	remove(frm) {
		$(frm.dashboard.parent).find(`.form-dashboard-section.${this.SECTION}`).remove();
	},

	load(frm) {
		const token = (frm.__crm_360_token = frappe.utils.get_random(8));
		frappe
			.call({
				method: "crm_module.api.customer_360.get",
				type: "GET",
				args: { customer: frm.doc.name },
			})
			.then((r) => {
				// a later refresh (or another customer) wins
				if (token !== frm.__crm_360_token || frm.doc.name !== r.message.customer) return;
				this.render(frm, r.message);
			});
	},

	render(frm, data) {
		this.remove(frm);
		const esc = frappe.utils.escape_html;
		const html = `<div class="crm-360">
			<div class="crm-360-card crm-360-health">${this.health_html(data.health)}</div>
			<div class="crm-360-card">${this.opportunities_html(data)}</div>
			<div class="crm-360-card">${this.follow_ups_html(data.follow_ups)}</div>
			<div class="crm-360-card">${this.contacts_html(data)}</div>
			<div class="crm-360-card">${this.notes_html(data.pinned_notes)}</div>
			<div class="crm-360-card crm-360-wide">${this.timeline_html(data.timeline)}</div>
		</div>`;
		const $body = frm.dashboard.add_section(html, esc(__("Customer 360")), this.SECTION);
		frm.dashboard.show();
		this.bind(frm, $body, data);
	},

	bind(frm, $body, data) {
		const history = data.health.history || [];
		let days = 90;
		const draw = () => this.draw_chart($body.find(".crm-360-chart"), history, days, data.health.latest);
		$body.find(".crm-360-range").on("click", "button", (e) => {
			days = cint($(e.currentTarget).attr("data-days"));
			$body.find(".crm-360-range button").removeClass("active");
			$(e.currentTarget).addClass("active");
			draw();
		});
		$body.find(".crm-360-timeline-filter").on("change", (e) => {
			const kind = $(e.currentTarget).val();
			$body.find(".crm-360-event").each((_i, row) => {
				$(row).toggle(!kind || $(row).attr("data-type") === kind);
			});
		});
		// the chart needs a visible, sized container: draw now, or when the section is opened
		$body
			.closest(".form-dashboard-section")
			.find(".section-head")
			.on("click", () => setTimeout(draw, 50));
		setTimeout(draw, 0);
	},

	// ------------------------------------------------------------------ health

	health_html(health) {
		const latest = health.latest;
		const head = `<div class="crm-360-card-head">
			<span>${__("Health")}</span>
			<div class="btn-group btn-group-xs crm-360-range" role="group">
				${this.RANGES.map(
					(d, i) =>
						`<button type="button" class="btn btn-default btn-xs ${
							i ? "" : "active"
						}" data-days="${d}">${__("{0} days", [d])}</button>`
				).join("")}
			</div>
		</div>`;
		if (!latest) {
			return `${head}<div class="crm-360-empty">${__(
				"Not scored yet: the nightly run scores every customer."
			)}</div>`;
		}
		const esc = frappe.utils.escape_html;
		const delta = (value, label) => {
			if (value === null || value === undefined) return "";
			const sign = value > 0 ? "+" : value === 0 ? "±" : "";
			const cls = value > 0 ? "text-success" : value < 0 ? "text-danger" : "text-muted";
			return `<span class="${cls}">${sign}${value}</span> <span class="text-muted">${label}</span>`;
		};
		const factors = latest.factors || {};
		const components = ["engagement", "activity", "satisfaction"]
			.filter((key) => factors[key])
			.map((key) => {
				const score = cint(factors[key].score);
				const weight = factors.weights && factors.weights[key];
				return `<div class="crm-360-factor">
					<div class="crm-360-factor-label">
						<span>${__(frappe.utils.to_title_case(key))}</span>
						<span class="text-muted">${score}${
					weight !== undefined ? ` · ${__("weight {0}%", [Math.round(weight * 100)])}` : ""
				}</span>
					</div>
					<div class="progress crm-360-bar"><div class="progress-bar bg-${this.score_colour(
						score
					)}" style="width: ${Math.max(0, Math.min(100, score))}%"></div></div>
				</div>`;
			})
			.join("");
		const recommendations = (latest.recommendations || [])
			.map((text) => `<li>${esc(text)}</li>`)
			.join("");
		return `${head}
			<div class="crm-360-health-body">
				<div class="crm-360-chart-wrap"><div class="crm-360-chart"></div></div>
				<div class="crm-360-score">
					<div class="crm-360-score-head">
						<span class="crm-360-score-value crm-risk-${esc((latest.risk_level || "").toLowerCase())}">${cint(
			latest.health_score
		)}</span>
						<span class="indicator-pill ${this.pill(latest.risk_level)}">${esc(__(latest.risk_level))}</span>
					</div>
					<div class="small">${delta(latest.delta_7d, __("in 7 days"))} &nbsp; ${delta(
			latest.delta_30d,
			__("in 30 days")
		)}</div>
					<div class="small text-muted">${__("Scored {0}", [frappe.datetime.str_to_user(latest.score_date)])}</div>
					<div class="crm-360-factors">${components}</div>
					${
						recommendations
							? `<div class="crm-360-subhead">${__(
									"Recommendations"
							  )}</div><ul class="crm-360-recommendations">${recommendations}</ul>`
							: ""
					}
				</div>
			</div>`;
	},

	draw_chart($el, history, days, latest) {
		if (!$el.length || !$el.is(":visible") || !$el.width()) return;
		const since = frappe.datetime.add_days(frappe.datetime.get_today(), -days);
		const rows = history.filter((row) => row.score_date >= since);
		$el.empty();
		if (rows.length < 2) {
			$el.html(
				`<div class="crm-360-empty">${__(
					"The trend shows once the customer has been scored on two days in this period."
				)}</div>`
			);
			return;
		}
		const colour = { green: "#29CD42", orange: "#ECAD4B", red: "#E24C4C" }[
			this.risk_colour(latest && latest.risk_level)
		];
		new frappe.Chart($el[0], {
			type: "line",
			height: 180,
			colors: [colour || "#2490EF"],
			data: {
				labels: rows.map((row) => frappe.datetime.str_to_user(row.score_date)),
				datasets: [{ name: __("Health score"), values: rows.map((row) => row.health_score) }],
			},
			axisOptions: { xIsSeries: 1, xAxisMode: "tick", yAxisMode: "span" },
			lineOptions: { hideDots: rows.length > 40 ? 1 : 0, regionFill: 1 },
			tooltipOptions: { formatTooltipY: (value) => `${value} / 100` },
		});
	},

	// ------------------------------------------------------------------ opportunities

	opportunities_html(data) {
		const rows = data.opportunities || [];
		const counts = data.opportunity_counts || {};
		const esc = frappe.utils.escape_html;
		const head = `<div class="crm-360-card-head"><span>${__("Open Opportunities")}</span>
			<span class="text-muted small">${__("{0} open · {1} won · {2} lost", [
				counts.Open || 0,
				counts.Won || 0,
				counts.Lost || 0,
			])}</span></div>`;
		if (!rows.length) return `${head}<div class="crm-360-empty">${__("No open opportunities.")}</div>`;
		const items = rows
			.map(
				(row) => `<div class="crm-360-opportunity">
					<div class="crm-360-row-head">
						${this.link("CRM Opportunity", row.name, row.opportunity_name)}
						<span class="crm-360-amount">${format_currency(row.value, row.currency)}</span>
					</div>
					<div class="progress crm-360-bar" title="${esc(
						__("Step {0} of {1}", [row.step, row.steps])
					)}"><div class="progress-bar" style="width: ${row.progress}%"></div></div>
					<div class="crm-360-meta small text-muted">
						<span>${esc(__(row.stage_name))} · ${__("step {0} of {1}", [row.step, row.steps])}</span>
						<span>${__("{0}% likely", [flt(row.probability_percent, 0)])}</span>
						${
							row.expected_close_date
								? `<span class="${row.overdue ? "text-danger" : ""}">${__("closes {0}", [
										frappe.datetime.str_to_user(row.expected_close_date),
								  ])}</span>`
								: ""
						}
					</div>
				</div>`
			)
			.join("");
		return head + items;
	},

	// ------------------------------------------------------------------ follow-ups

	follow_ups_html(rows) {
		const head = `<div class="crm-360-card-head"><span>${__("Next Follow-ups")}</span></div>`;
		if (!rows || !rows.length) {
			return `${head}<div class="crm-360-empty">${__("No open to-dos or next steps.")}</div>`;
		}
		const esc = frappe.utils.escape_html;
		const items = rows
			.map((row) => {
				const when = row.date
					? `<span class="${row.overdue ? "text-danger" : "text-muted"}">${esc(
							frappe.datetime.str_to_user(row.date)
					  )}${row.overdue ? ` · ${__("overdue")}` : ""}</span>`
					: `<span class="text-muted">${__("no date")}</span>`;
				const what =
					row.kind === "todo"
						? __("To-do on {0}", [
								this.link(row.reference_doctype, row.reference_name, row.reference_title),
						  ])
						: __("Next step of {0}", [
								this.link("CRM Interaction", row.reference_name, row.subject),
						  ]);
				return `<div class="crm-360-item">
					<span class="crm-360-icon">${frappe.utils.icon(row.kind === "todo" ? "check" : "arrow-right", "sm")}</span>
					<div class="crm-360-item-body">
						<div class="crm-360-row-head"><span class="crm-360-title">${esc(row.title || "")}</span>${
					row.user ? frappe.avatar(row.user, "avatar-xs") : ""
				}</div>
						<div class="small">${when} · <span class="text-muted">${what}</span></div>
					</div>
				</div>`;
			})
			.join("");
		return head + items;
	},

	// ------------------------------------------------------------------ contacts

	contacts_html(data) {
		const rows = data.contacts || [];
		const esc = frappe.utils.escape_html;
		const more =
			data.contact_count > rows.length
				? `<a class="small" href="/app/crm-contact?customer=${encodeURIComponent(
						data.customer
				  )}">${__("All {0} contacts", [data.contact_count])}</a>`
				: "";
		const head = `<div class="crm-360-card-head"><span>${__("Contacts")}</span>${more}</div>`;
		if (!rows.length) return `${head}<div class="crm-360-empty">${__("No contacts yet.")}</div>`;
		const items = rows
			.map((row) => {
				const role = [row.job_title, row.contact_role && __(row.contact_role)]
					.filter(Boolean)
					.map(esc)
					.join(" · ");
				const channels = [
					row.email_id
						? `<a href="mailto:${encodeURIComponent(row.email_id)}">${esc(row.email_id)}</a>`
						: "",
					row.phone ? `<a href="tel:${encodeURIComponent(row.phone)}">${esc(row.phone)}</a>` : "",
				]
					.filter(Boolean)
					.join(" · ");
				return `<div class="crm-360-item">
					<span class="avatar avatar-small"><span class="avatar-frame standard-image">${esc(
						frappe.get_abbr(row.full_name || "?")
					)}</span></span>
					<div class="crm-360-item-body">
						<div class="crm-360-row-head">${this.link("CRM Contact", row.name, row.full_name)}${
					row.is_primary ? `<span class="indicator-pill blue">${__("Primary")}</span>` : ""
				}</div>
						${role ? `<div class="small text-muted">${role}</div>` : ""}
						${channels ? `<div class="small crm-360-channels">${channels}</div>` : ""}
					</div>
				</div>`;
			})
			.join("");
		return head + items;
	},

	// ------------------------------------------------------------------ notes

	notes_html(rows) {
		const head = `<div class="crm-360-card-head"><span>${__("Pinned Notes")}</span></div>`;
		if (!rows || !rows.length) return `${head}<div class="crm-360-empty">${__("No pinned notes.")}</div>`;
		const esc = frappe.utils.escape_html;
		const items = rows
			.map(
				(row) => `<div class="crm-360-note">
					<div class="crm-360-row-head">${this.link(
						"CRM Internal Note",
						row.name,
						row.title
					)}<span class="indicator-pill gray">${esc(__(row.note_type || ""))}</span></div>
					<div class="small">${esc(row.text)}</div>
					<div class="small text-muted">${esc(frappe.user.full_name(row.owner))} · ${frappe.datetime.comment_when(
					row.modified
				)}</div>
				</div>`
			)
			.join("");
		return head + items;
	},

	// ------------------------------------------------------------------ timeline

	timeline_html(rows) {
		rows = rows || [];
		const esc = frappe.utils.escape_html;
		const counts = {};
		rows.forEach((row) => (counts[row.activity_type] = (counts[row.activity_type] || 0) + 1));
		const options = Object.keys(counts)
			.sort()
			.map((kind) => `<option value="${esc(kind)}">${esc(__(kind))} (${counts[kind]})</option>`)
			.join("");
		const head = `<div class="crm-360-card-head"><span>${__("Activity Timeline")}</span>
			<select class="form-control input-xs crm-360-timeline-filter" aria-label="${esc(__("Activity type"))}">
				<option value="">${__("All activity ({0})", [rows.length])}</option>${options}
			</select></div>`;
		if (!rows.length) return `${head}<div class="crm-360-empty">${__("Nothing happened yet.")}</div>`;
		const items = rows
			.map((row) => {
				const icon =
					this.TIMELINE_ICONS[row.interaction_type] ||
					this.TIMELINE_ICONS[row.activity_type] ||
					"primitive-dot";
				const title = row.reference_doctype
					? this.link(row.reference_doctype, row.reference_name, row.title)
					: esc(row.title);
				const tone =
					row.activity_type === "Opportunity Won" || row.sentiment === "Positive"
						? "green"
						: row.activity_type === "Opportunity Lost" ||
						  row.activity_type === "Health Risk Change" ||
						  row.sentiment === "Negative"
						? "red"
						: "gray";
				return `<div class="crm-360-item crm-360-event" data-type="${esc(row.activity_type)}">
					<span class="crm-360-icon crm-360-icon-${tone}">${frappe.utils.icon(icon, "sm")}</span>
					<div class="crm-360-item-body">
						<div class="crm-360-row-head"><span class="crm-360-title">${title}</span>${
					row.is_important ? `<span class="indicator-pill orange">${__("Important")}</span>` : ""
				}</div>
						${row.description ? `<div class="small">${esc(row.description)}</div>` : ""}
						<div class="small text-muted">${esc(__(row.activity_type))} · ${esc(
					frappe.user.full_name(row.performed_by)
				)} · ${frappe.datetime.comment_when(row.activity_date)}</div>
					</div>
				</div>`;
			})
			.join("");
		return head + `<div class="crm-360-events">${items}</div>`;
	},

	// ------------------------------------------------------------------ helpers

	link(doctype, name, label) {
		const esc = frappe.utils.escape_html;
		if (!doctype || !name) return esc(label || name || "");
		return `<a href="/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}">${esc(
			label || name
		)}</a>`;
	},

	risk_colour(risk) {
		return { Green: "green", Yellow: "orange", Red: "red" }[risk] || "gray";
	},

	pill(risk) {
		return { Green: "green", Yellow: "yellow", Red: "red" }[risk] || "gray";
	},

	score_colour(score) {
		return score >= 75 ? "success" : score >= 50 ? "warning" : "danger";
	},
});
// ------------------------------------------- end of customer 360 ----------------------------------------
