// Sales Dashboard: key metrics with links to the records behind them, charts, top opportunities,
// conversion metrics and recent activity. Figures come from crm_module.api.dashboard.get and .trend
// (the same metrics module as the reports); a period and, for managers, a rep narrow them.

const CRM_ACTIVITY_ICONS = {
	Call: "call",
	Email: "mail",
	Meeting: "calendar",
	Note: "edit",
	Task: "check",
	SMS: "message",
};
const CRM_ACTIVE_LEAD_STATUSES = ["New", "Contacted", "Qualified"];
const CRM_PERIODS = ["All Time", "This Month", "This Quarter", "This Year", "Last 12 Months", "Custom"];

frappe.pages["crm-sales-dashboard"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({
		parent: wrapper,
		title: __("Sales Dashboard"),
		single_column: true,
	});
	wrapper.crm_dashboard = new CRMSalesDashboard(page);
};

frappe.pages["crm-sales-dashboard"].on_page_show = function (wrapper) {
	wrapper.crm_dashboard && wrapper.crm_dashboard.refresh();
};

class CRMSalesDashboard {
	constructor(page) {
		this.page = page;
		this.$body = $(`<div class="crm-dashboard"></div>`).appendTo(page.main);
		this.period = page.add_field({
			fieldname: "period",
			label: __("Period"),
			fieldtype: "Select",
			options: CRM_PERIODS.map((value) => ({ value, label: __(value) })),
			default: "All Time",
			change: () => this.on_period_change(),
		});
		this.range = page.add_field({
			fieldname: "range",
			label: __("From / To"),
			fieldtype: "DateRange",
			change: () => this.period.get_value() === "Custom" && this.refresh(),
		});
		this.range.$wrapper.toggle(false);
		// managers pick any rep; a team lead picks among their team
		crm_module.add_rep_picker(page, this, () => this.refresh());
		page.set_primary_action(__("Refresh"), () => this.refresh(), "refresh");
		[
			["CRM Customer Profile", __("New Customer")],
			["CRM Sales Lead", __("New Lead")],
			["CRM Opportunity", __("New Opportunity")],
			["CRM Interaction", __("New Interaction")],
		].forEach(([doctype, label]) =>
			page.add_inner_button(label, () => frappe.new_doc(doctype), __("Quick Actions"))
		);
		this.$body.on("click", "[data-crm-list]", (event) => {
			event.preventDefault();
			const [doctype, filters] = JSON.parse(decodeURIComponent($(event.currentTarget).attr("data-crm-list")));
			frappe.route_options = filters;
			frappe.set_route("List", doctype);
		});
	}

	on_period_change() {
		const custom = this.period.get_value() === "Custom";
		this.range.$wrapper.toggle(custom);
		if (!custom || this.range.get_value()) this.refresh();
	}

	/** [fromDate, toDate] of the chosen period (ISO dates, either may be empty). */
	window() {
		const today = frappe.datetime.get_today();
		const first_of = (unit) => moment(today).startOf(unit).format("YYYY-MM-DD");
		switch (this.period.get_value()) {
			case "This Month":
				return [first_of("month"), today];
			case "This Quarter":
				return [first_of("quarter"), today];
			case "This Year":
				return [first_of("year"), today];
			case "Last 12 Months":
				return [frappe.datetime.add_months(today, -12), today];
			case "Custom": {
				const [from, to] = this.range.get_value() || [];
				return [from || "", to || ""];
			}
			default:
				return ["", ""];
		}
	}

	args() {
		const [fromDate, toDate] = this.window();
		const args = {};
		if (fromDate) args.fromDate = fromDate;
		if (toDate) args.toDate = toDate;
		const user = this.user_field && this.user_field.get_value();
		if (user) args.userId = user;
		return args;
	}

	refresh() {
		const args = this.args();
		const request = (this.request = (this.request || 0) + 1);
		const get = (method) => frappe.call({ method, type: "GET", args }).then((r) => r.message);
		Promise.all([get("crm_module.api.dashboard.get"), get("crm_module.api.dashboard.trend")]).then(
			([data, trend]) => {
				// only the latest request draws: an older answer arriving late never replaces newer charts
				if (request === this.request) this.render(data || {}, trend || [], args);
				if (request === this.request) this.load_targets(args, request);
				if (request === this.request) this.load_forecast(args, request);
			}
		);
	}

	/** The learned forecast of this month and the next two beside the stage-weighted one, with its measured error. */
	load_forecast(args, request) {
		const forecast_args = args.userId ? { userId: args.userId } : {};
		frappe
			.call({ method: "crm_module.api.forecast.learned", type: "GET", args: forecast_args })
			.then(({ message }) => request === this.request && this.render_forecast(message || {}));
	}

	render_forecast(data) {
		const $forecast = this.$body.find("[data-crm-forecast]");
		if (!(data.months || []).length) return $forecast.empty();
		const money = (value) => this.money(value);
		const rows = data.months
			.map((row) => {
				const month = moment(`${row.month}-01`).format("MMM YYYY");
				return `<tr>
					<td>${frappe.utils.escape_html(month)}</td>
					<td class="text-right"><b>${money(row.expected)}</b></td>
					<td class="text-right text-muted">${money(row.low)} – ${money(row.high)}</td>
					<td class="text-right">${money(row.weighted)}</td>
				</tr>`;
			})
			.join("");
		const note = __(
			"Measured over the last {0} months: the learned forecast erred by {1}% on average, the stage-weighted one by {2}%; the range held the actual revenue in {3}% of months.",
			[data.backtestMonths, data.mapeModel, data.mapeWeighted, data.coverage]
		);
		$forecast.html(
			this.section(
				__("Forecast"),
				`<div class="table-responsive"><table class="table table-sm crm-forecast-table">
					<thead><tr>
						<th>${__("Month")}</th>
						<th class="text-right">${__("Learned")}</th>
						<th class="text-right">${__("80% range")}</th>
						<th class="text-right">${__("Stage-weighted")}</th>
					</tr></thead>
					<tbody>${rows}</tbody>
				</table></div>
				<div class="text-muted small">${note}</div>`
			)
		);
	}

	/** The Targets section: this month's and quarter's target vs won vs forecast (none: no section). */
	load_targets(args, request) {
		const target_args = args.userId ? { userId: args.userId } : {};
		frappe
			.call({ method: "crm_module.api.dashboard.targets", type: "GET", args: target_args })
			.then(({ message }) => request === this.request && this.render_targets(message || {}));
	}

	render_targets(data) {
		const rows = [
			[__("This Month"), data.month],
			[__("This Quarter"), data.quarter],
		].filter(([, row]) => row);
		const $target = this.$body.find("[data-crm-targets]");
		if (!rows.length) return $target.empty();
		const currency = (data.currencies || []).length === 1 ? data.currencies[0] : this.currency;
		const money = (value) => format_currency(value || 0, currency);
		const items = rows
			.map(([label, row]) => {
				const done = Math.min(row.attainment ?? 0, 100);
				const projected = Math.max(0, Math.min(row.projectedAttainment ?? 0, 100) - done);
				const attainment = row.attainment === null ? "-" : `${row.attainment}%`;
				const gap = row.gap < 0 ? __("{0} above target", [money(-row.gap)]) : __("{0} to go", [money(row.gap)]);
				return `<div class="crm-dashboard-row">
					<div class="flex justify-between">
						<a href="/app/crm-sales-target/${encodeURIComponent(row.name)}">${label} · ${frappe.utils.escape_html(row.periodLabel || "")}</a>
						<span><b>${attainment}</b> ${__("of")} ${money(row.targetAmount)}</span>
					</div>
					<div class="progress" style="height: 8px">
						<div class="progress-bar bg-success" style="width: ${done}%" title="${__("Closed won")}"></div>
						<div class="progress-bar bg-info" style="width: ${projected}%" title="${__("Weighted forecast")}"></div>
					</div>
					<div class="text-muted small">${__("Won")} ${money(row.won)} (${row.wonCount}) · ${__("Forecast")} ${money(row.forecast)} (${row.openCount}) · ${gap}</div>
				</div>`;
			})
			.join("");
		$target.html(this.section(__("Targets"), items));
	}

	money(value) {
		return format_currency(value || 0, this.currency);
	}

	/** Filters for the list behind a figure: the period's creation dates and, for a chosen rep, their records. */
	list_filters(owner_field, filters = {}) {
		const [from, to] = this.window();
		const out = { ...filters };
		if (from || to) out.creation = ["between", [from || "2000-01-01", to || frappe.datetime.get_today()]];
		const user = this.user_field && this.user_field.get_value();
		if (user && owner_field) out[owner_field] = user;
		return out;
	}

	list_link(doctype, owner_field, filters) {
		const target = encodeURIComponent(JSON.stringify([doctype, this.list_filters(owner_field, filters)]));
		return `data-crm-list="${target}" href="#"`;
	}

	render(data, trend, args) {
		const conversion = data.conversionMetrics || {};
		// one currency in the figures: show it; several: the system currency (the response flags the mix)
		const currencies = data.currencies || [];
		this.currency = currencies.length === 1 ? currencies[0] : frappe.boot.sysdefaults.currency;
		const open = { status: "Open" };
		const cards = [
			[__("Active Customers"), data.totalCustomers, this.list_link("CRM Customer Profile", "account_owner", { status: "Active" })],
			[__("Active Leads"), data.totalLeads, this.list_link("CRM Sales Lead", "lead_owner", { status: ["in", CRM_ACTIVE_LEAD_STATUSES] })],
			[__("Open Opportunities"), data.totalOpportunities, this.list_link("CRM Opportunity", "opportunity_owner", open)],
			[__("Pipeline Value"), this.money(data.pipelineValue), this.list_link("CRM Opportunity", "opportunity_owner", open)],
		];
		const metrics = [
			[__("Lead to Customer"), `${conversion.leadToCustomerRate ?? data.conversionRate ?? 0}%`],
			[__("Win Rate"), `${conversion.winRate ?? 0}%`],
			[__("Average Sales Cycle"), `${conversion.averageSalesCycleDays ?? 0} ${__("days")}`],
			[__("Average Open Deal"), this.money(data.averageDealSize)],
			[__("Average Won Deal"), this.money(conversion.averageDealSize)],
			[__("Pipeline Velocity"), `${this.money(conversion.pipelineVelocity)} / ${__("day")}`],
			[__("Customer Retention"), `${conversion.customerRetentionRate ?? 0}%`],
		];
		const mixed = data.mixedCurrencies
			? `<div class="alert alert-warning crm-dashboard-note">${__("These figures add amounts in several currencies ({0}) without conversion.", [currencies.join(", ")])}</div>`
			: "";
		this.$body.html(`
			${mixed}
			<div class="crm-dashboard-cards">${cards.map(([label, value, link]) => this.card(label, value, link)).join("")}</div>
			<div data-crm-targets></div>
			<div data-crm-forecast></div>
			<div class="crm-dashboard-grid">
				${this.section(__("Pipeline by Stage"), `<div class="crm-chart" data-chart="stages"></div>`, this.list_link("CRM Opportunity", "opportunity_owner", open))}
				${this.section(__("Active Leads by Source"), `<div class="crm-chart" data-chart="sources"></div>`, this.list_link("CRM Sales Lead", "lead_owner", { status: ["in", CRM_ACTIVE_LEAD_STATUSES] }))}
				${this.section(__("Won vs Lost per Month"), `<div class="crm-chart" data-chart="won-lost"></div>`, this.list_link("CRM Opportunity", "opportunity_owner", { status: ["in", ["Won", "Lost"]] }))}
				${this.section(__("New Pipeline per Month"), `<div class="crm-chart" data-chart="new"></div>`, this.list_link("CRM Opportunity", "opportunity_owner", {}))}
			</div>
			<div class="crm-dashboard-grid">
				${this.top_opportunities(data.topOpportunities || [])}
				${this.metrics(metrics)}
			</div>
			${this.recent(data.recentInteractions || [])}
		`);
		this.charts(data, trend);
	}

	charts(data, trend) {
		// stages and sources: horizontal bars (names wrap, never cut), each row opens its list;
		// months: frappe-charts with a series x axis (labels thinned, never cut) and money axes in k / M
		const stages = Object.entries(data.stagePipeline || {});
		const sources = Object.entries(data.leadsBySource || {});
		const months = trend.map((row) => moment(row.month, "YYYY-MM").format("MMM YY"));
		const name = (key) => frappe.unscrub(key); // the stored stage / source name
		const label = (key) => __(name(key));
		const open = { status: "Open" };
		const active = { status: ["in", CRM_ACTIVE_LEAD_STATUSES] };
		this.bars("stages", {
			colors: ["blue"],
			data: {
				labels: stages.map(([key]) => label(key)),
				datasets: [{ name: __("Open value"), values: stages.map(([, value]) => value) }],
			},
			format: (value) => this.money(value),
			links: stages.map(([key]) =>
				this.list_link("CRM Opportunity", "opportunity_owner", { ...open, stage: ["like", `${name(key)} - %`] })
			),
		});
		this.bars("sources", {
			colors: ["green"],
			data: {
				labels: sources.map(([key]) => label(key)),
				datasets: [{ name: __("Active leads"), values: sources.map(([, count]) => count) }],
			},
			links: sources.map(([key]) =>
				this.list_link("CRM Sales Lead", "lead_owner", { ...active, source: name(key) })
			),
		});
		this.chart("won-lost", trend.some((row) => row.wonCount || row.lostCount), {
			type: "bar",
			colors: ["green", "red"],
			data: {
				labels: months,
				datasets: [
					{ name: __("Won"), values: trend.map((row) => row.wonCount) },
					{ name: __("Lost"), values: trend.map((row) => row.lostCount) },
				],
			},
		});
		const money = crm_module.charts.money_options(this.currency);
		this.chart("new", trend.some((row) => row.newCount), {
			type: trend.length > 1 ? "line" : "bar", // a line needs two points
			colors: ["blue"],
			data: {
				labels: months,
				datasets: [{ name: __("New pipeline"), values: trend.map((row) => row.newValue) }],
			},
			axisOptions: { xIsSeries: 1, ...money.axisOptions },
			tooltipOptions: money.tooltipOptions,
		});
	}

	bars(name, chart) {
		const $target = this.$body.find(`[data-chart="${name}"]`);
		if (!chart.data.labels.length) {
			$target.html(this.empty(__("Nothing in this period")));
			return;
		}
		crm_module.charts.hbars($target[0], chart);
	}

	chart(name, has_data, options) {
		const $target = this.$body.find(`[data-chart="${name}"]`);
		if (!has_data) {
			$target.html(this.empty(__("Nothing in this period")));
			return;
		}
		// months are a series: labels that do not fit are thinned out, never cut to "…"
		new frappe.Chart($target[0], { height: 220, axisOptions: { xIsSeries: 1, shortenYAxisNumbers: 1 }, ...options });
	}

	card(label, value, link) {
		return `<a class="frappe-card crm-dashboard-card" ${link}>
			<div class="text-muted small">${frappe.utils.escape_html(label)}</div>
			<div class="h4">${value ?? 0}</div></a>`;
	}

	top_opportunities(rows) {
		const items = rows
			.map((row) => {
				const probability = row.probabilityPercent ?? 0;
				const name = frappe.utils.escape_html(row.opportunityName || row.name);
				return `<div class="crm-dashboard-row">
					<div class="flex justify-between">
						<a href="/app/crm-opportunity/${encodeURIComponent(row.name)}">${name}</a>
						<span>${format_currency(row.value || 0, row.currency || this.currency)}</span>
					</div>
					<div class="text-muted small">${frappe.utils.escape_html(row.customerName || "")} · ${frappe.utils.escape_html(row.stage || "")} · ${probability}%</div>
					<div class="progress" style="height: 6px"><div class="progress-bar" style="width: ${probability}%"></div></div>
				</div>`;
			})
			.join("");
		return this.section(__("Top Opportunities"), items || this.empty(__("No open opportunities")));
	}

	metrics(rows) {
		const items = rows
			.map(([label, value]) => `<div class="flex justify-between crm-dashboard-metric">
				<span class="text-muted">${label}</span><b>${value}</b></div>`)
			.join("");
		return this.section(__("Conversion Metrics"), items);
	}

	recent(rows) {
		const items = rows
			.map((row) => {
				const type = row.interactionType || "Note";
				const when = row.interactionDate;
				return `<div class="crm-dashboard-activity">
					<span class="crm-dashboard-icon">${frappe.utils.icon(CRM_ACTIVITY_ICONS[type] || "dot-horizontal", "sm")}</span>
					<a href="/app/crm-interaction/${encodeURIComponent(row.name)}">${frappe.utils.escape_html(row.subject || "")}</a>
					<span class="text-muted small">${frappe.utils.escape_html(row.customerName || "")} · ${frappe.utils.escape_html(__(type))} · ${when ? frappe.datetime.comment_when(when) : ""}</span>
				</div>`;
			})
			.join("");
		return this.section(__("Recent Activity"), items || this.empty(__("No interactions yet")));
	}

	section(title, body, link) {
		const more = link ? `<a class="small" ${link}>${__("View list")}</a>` : "";
		return `<div class="frappe-card crm-dashboard-section">
			<div class="flex justify-between crm-dashboard-section-head">
				<div class="h6 uppercase text-muted">${title}</div>${more}</div>${body}</div>`;
	}

	empty(message) {
		return `<div class="text-muted">${message}</div>`;
	}
}
