// Sales Dashboard: key metrics, top opportunities, conversion metrics and recent activity.
// All figures come from crm_module.api.dashboard.get (the same metrics module as the reports).

const CRM_ACTIVITY_ICONS = {
	Call: "call",
	Email: "mail",
	Meeting: "calendar",
	Note: "edit",
	Task: "check",
	SMS: "message",
};

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
		this.user_field = null;
		if (frappe.user.has_role("CRM Manager") || frappe.user.has_role("System Manager")) {
			this.user_field = page.add_field({
				fieldname: "user",
				label: __("Sales Rep"),
				fieldtype: "Link",
				options: "User",
				change: () => this.refresh(),
			});
		}
		page.set_primary_action(__("Refresh"), () => this.refresh(), "refresh");
		[
			["CRM Customer Profile", __("New Customer")],
			["CRM Sales Lead", __("New Lead")],
			["CRM Opportunity", __("New Opportunity")],
			["CRM Interaction", __("New Interaction")],
		].forEach(([doctype, label]) =>
			page.add_inner_button(label, () => frappe.new_doc(doctype), __("Quick Actions"))
		);
	}

	refresh() {
		const args = {};
		const user = this.user_field && this.user_field.get_value();
		if (user) args.userId = user;
		frappe
			.call({ method: "crm_module.api.dashboard.get", type: "GET", args })
			.then((r) => this.render(r.message || {}));
	}

	money(value) {
		return format_currency(value || 0, this.currency);
	}

	render(data) {
		const conversion = data.conversionMetrics || {};
		// one currency in the figures: show it; several: the system currency (the response flags the mix)
		const currencies = data.currencies || [];
		this.currency = currencies.length === 1 ? currencies[0] : frappe.boot.sysdefaults.currency;
		const cards = [
			[__("Total Customers"), data.totalCustomers],
			[__("Active Leads"), data.totalLeads],
			[__("Open Opportunities"), data.totalOpportunities],
			[__("Pipeline Value"), this.money(data.pipelineValue)],
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
		this.$body.html(`
			<div class="row">${cards.map(([label, value]) => this.card(label, value)).join("")}</div>
			<div class="row">
				<div class="col-md-7">${this.top_opportunities(data.topOpportunities || [])}</div>
				<div class="col-md-5">${this.metrics(metrics)}</div>
			</div>
			<div class="row"><div class="col-md-12">${this.recent(data.recentInteractions || [])}</div></div>
		`);
	}

	card(label, value) {
		return `<div class="col-md-3 col-sm-6"><div class="frappe-card" style="padding: var(--padding-md); margin-bottom: var(--margin-md)">
			<div class="text-muted small">${frappe.utils.escape_html(label)}</div>
			<div class="h4" style="margin-top: var(--margin-xs)">${value ?? 0}</div></div></div>`;
	}

	top_opportunities(rows) {
		const items = rows
			.map((row) => {
				const probability = row.probabilityPercent ?? row.probability_percent ?? 0;
				const name = frappe.utils.escape_html(row.opportunityName || row.opportunity_name || row.name);
				return `<div style="margin-bottom: var(--margin-md)">
					<div class="flex justify-between">
						<a href="/app/crm-opportunity/${encodeURIComponent(row.id || row.name)}">${name}</a>
						<span>${this.money(row.value)}</span>
					</div>
					<div class="text-muted small">${frappe.utils.escape_html(row.stage || "")} · ${probability}%</div>
					<div class="progress" style="height: 6px"><div class="progress-bar" style="width: ${probability}%"></div></div>
				</div>`;
			})
			.join("");
		return this.section(__("Top Opportunities"), items || this.empty(__("No open opportunities")));
	}

	metrics(rows) {
		const items = rows
			.map(([label, value]) => `<div class="flex justify-between" style="margin-bottom: var(--margin-sm)">
				<span class="text-muted">${label}</span><b>${value}</b></div>`)
			.join("");
		return this.section(__("Conversion Metrics"), items);
	}

	recent(rows) {
		const items = rows
			.map((row) => {
				const type = row.interactionType || row.interaction_type || "Note";
				const when = row.interactionDate || row.interaction_date;
				return `<div style="display: flex; align-items: center; gap: var(--margin-sm); margin-bottom: var(--margin-sm)">
					<span style="flex: none">${frappe.utils.icon(CRM_ACTIVITY_ICONS[type] || "dot-horizontal", "sm")}</span>
					<a style="flex: none" href="/app/crm-interaction/${encodeURIComponent(row.id || row.name)}">${frappe.utils.escape_html(row.subject || "")}</a>
					<span class="text-muted small" style="flex: none">${frappe.utils.escape_html(type)} · ${when ? frappe.datetime.comment_when(when) : ""}</span>
				</div>`;
			})
			.join("");
		return this.section(__("Recent Activity"), items || this.empty(__("No interactions yet")));
	}

	section(title, body) {
		return `<div class="frappe-card" style="padding: var(--padding-md); margin-bottom: var(--margin-md)">
			<div class="h6 uppercase text-muted" style="margin-bottom: var(--margin-md)">${title}</div>${body}</div>`;
	}

	empty(message) {
		return `<div class="text-muted">${message}</div>`;
	}
}
