// My Day: one ranked list of what to do today (crm_module.api.my_day.get, ranked by
// crm_module.domain.my_day): each item links its record, says why it is there and offers one-click
// actions: log a call, reschedule, move the deal to its next stage, open the record.

const CRM_MY_DAY_KINDS = {
	follow_up_overdue: __("Follow-up overdue"),
	follow_up_due: __("Follow-up due"),
	next_step_overdue: __("Next step overdue"),
	next_step_due: __("Next step due"),
	hot_lead_untouched: __("Hot lead waiting"),
	deal_no_next_step: __("No next step"),
	deal_close_date_passed: __("Close date passed"),
	deal_stuck: __("Stuck deal"),
	customer_turned_red: __("Turned Red"),
	churn_jump: __("Churn risk up"),
	meeting_today: __("Meeting today"),
	target_gap: __("Target gap"),
};
const CRM_MY_DAY_ACTIONS = {
	log_call: [__("Log call"), "call"],
	reschedule: [__("Reschedule"), "calendar"],
	move_stage: [__("Move stage"), "arrow-right"],
	open: [__("Open"), "external-link"],
};
// the date a reschedule sets, per record
const CRM_MY_DAY_DATES = {
	"CRM Sales Lead": ["follow_up_date", __("Follow-up date")],
	"CRM Interaction": ["next_step_date", __("Next step date")],
	"CRM Opportunity": ["expected_close_date", __("Expected close date")],
};

frappe.pages["crm-my-day"].on_page_load = function (wrapper) {
	const page = frappe.ui.make_app_page({ parent: wrapper, title: __("My Day"), single_column: true });
	wrapper.crm_my_day = new CRMMyDay(page);
};

frappe.pages["crm-my-day"].on_page_show = function (wrapper) {
	wrapper.crm_my_day && wrapper.crm_my_day.refresh();
};

class CRMMyDay {
	constructor(page) {
		this.page = page;
		this.items = [];
		$(`<style>
			.crm-my-day { max-width: 960px; margin: 0 auto; }
			.crm-my-day-summary { color: var(--text-muted); margin: 4px 0 12px; }
			.crm-my-day-item { display: flex; gap: 12px; padding: 12px 14px; margin-bottom: 10px;
				border: 1px solid var(--border-color); border-radius: var(--border-radius-md);
				background: var(--card-bg); }
			.crm-my-day-rank { font-weight: 600; color: var(--text-muted); min-width: 24px; }
			.crm-my-day-main { flex: 1; min-width: 0; }
			.crm-my-day-head { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline; }
			.crm-my-day-title { font-weight: 600; overflow-wrap: anywhere; }
			.crm-my-day-reasons { margin: 6px 0 8px; padding-left: 18px; color: var(--text-color); }
			.crm-my-day-reasons li { overflow-wrap: anywhere; }
			.crm-my-day-actions { display: flex; flex-wrap: wrap; gap: 6px; }
			.crm-my-day-score { margin-left: auto; color: var(--text-muted); font-size: var(--text-sm); }
			@media (max-width: 600px) {
				.crm-my-day-item { padding: 10px; gap: 8px; }
				.crm-my-day-score { margin-left: 0; width: 100%; }
				.crm-my-day-actions .btn { flex: 1 1 45%; }
			}
		</style>`).appendTo(page.main);
		this.$body = $(`<div class="crm-my-day"></div>`).appendTo(page.main);
		crm_module.add_rep_picker(page, this, () => this.refresh());
		page.set_primary_action(__("Refresh"), () => this.refresh(), "refresh");
		this.$body.on("click", "[data-crm-action]", (event) => {
			event.preventDefault();
			const $button = $(event.currentTarget);
			this.act($button.attr("data-crm-action"), this.items[Number($button.attr("data-crm-index"))]);
		});
	}

	refresh() {
		const userId = this.user_field && this.user_field.get_value();
		return frappe
			.call({ method: "crm_module.api.my_day.get", type: "GET", args: userId ? { userId } : {} })
			.then(({ message }) => this.render(message));
	}

	render(data) {
		this.items = data.items || [];
		const summary =
			this.items.length === 1
				? __("One thing to do today (of {0} found).", [data.total])
				: this.items.length
				? __("{0} things to do today, the most valuable first (of {1} found).", [
						this.items.length,
						data.total,
				  ])
				: __("Nothing needs you today.");
		this.$body.html(`<div class="crm-my-day-summary">${summary}</div>
			<div class="crm-my-day-list">${this.items.map((item, i) => this.item_html(item, i)).join("")}</div>`);
	}

	item_html(item, index) {
		const e = frappe.utils.escape_html;
		const kind = CRM_MY_DAY_KINDS[item.kind] || item.kind;
		const color = item.kind.endsWith("overdue") || item.kind === "customer_turned_red" ? "red"
			: item.kind === "meeting_today" ? "blue" : "orange";
		const actions = (item.actions || []).filter((a) => a !== "move_stage" || item.nextStage);
		const buttons = actions
			.map((action, n) => {
				const [label] = CRM_MY_DAY_ACTIONS[action] || [action];
				const style = n === 0 ? "btn-primary" : "btn-default";
				return `<button class="btn btn-xs ${style}" data-crm-action="${action}"
					data-crm-index="${index}">${e(label)}</button>`;
			})
			.join("");
		return `<div class="crm-my-day-item" data-crm-kind="${e(item.kind)}" data-crm-name="${e(item.name)}">
			<div class="crm-my-day-rank">${index + 1}</div>
			<div class="crm-my-day-main">
				<div class="crm-my-day-head">
					<span class="indicator-pill ${color}">${e(kind)}</span>
					<a class="crm-my-day-title" href="${e(item.route)}">${e(item.title || item.name)}</a>
					<span class="crm-my-day-score" title="${e(__("Expected value x urgency"))}">
						${e(__("Score"))} ${format_number(item.score, null, 0)}</span>
				</div>
				<ul class="crm-my-day-reasons">${(item.reasons || []).map((r) => `<li>${e(r)}</li>`).join("")}</ul>
				<div class="crm-my-day-actions">${buttons}</div>
			</div>
		</div>`;
	}

	act(action, item) {
		if (!item) return;
		if (action === "open") return frappe.set_route(item.route.replace(/^\/app\//, "").split("/"));
		if (action === "log_call") return this.log_call(item);
		if (action === "reschedule") return this.reschedule(item);
		if (action === "move_stage") return this.move_stage(item);
	}

	log_call(item) {
		const links = item.links || {};
		const dialog = new frappe.ui.Dialog({
			title: __("Log a call: {0}", [item.title || item.name]),
			fields: [
				{ fieldname: "subject", label: __("Subject"), fieldtype: "Data", reqd: 1, default: __("Call") },
				{ fieldname: "outcome", label: __("Outcome"), fieldtype: "Select",
					options: ["", "Positive", "Neutral", "Negative", "No Response"] },
				{ fieldname: "description", label: __("Notes"), fieldtype: "Small Text" },
				{ fieldname: "next_step", label: __("Next step"), fieldtype: "Data" },
				{ fieldname: "next_step_date", label: __("Next step date"), fieldtype: "Date" },
			],
			primary_action_label: __("Log call"),
			primary_action: (values) => {
				const data = {
					interactionType: "Call",
					direction: "Outbound",
					subject: values.subject,
					outcome: values.outcome || undefined,
					description: values.description || undefined,
					nextStep: values.next_step || undefined,
					nextStepDate: values.next_step_date || undefined,
					customerId: links.customer,
					leadId: links.lead,
					opportunityId: links.opportunity,
				};
				frappe
					.call({ method: "crm_module.api.interactions.post", args: { data }, freeze: true })
					.then(() => {
						dialog.hide();
						frappe.show_alert({ message: __("Call logged"), indicator: "green" });
						this.refresh();
					});
			},
		});
		dialog.show();
	}

	reschedule(item) {
		const [fieldname, label] = CRM_MY_DAY_DATES[item.doctype] || [];
		if (!fieldname) return;
		const dialog = new frappe.ui.Dialog({
			title: __("Reschedule: {0}", [item.title || item.name]),
			fields: [{ fieldname: "date", label, fieldtype: "Date", reqd: 1, default: frappe.datetime.add_days(frappe.datetime.get_today(), 1) }],
			primary_action_label: __("Save"),
			primary_action: ({ date }) =>
				this.set_value(item, fieldname, date).then(() => {
					dialog.hide();
					frappe.show_alert({ message: __("Rescheduled to {0}", [frappe.datetime.str_to_user(date)]), indicator: "green" });
				}),
		});
		dialog.show();
	}

	move_stage(item) {
		frappe.confirm(__("Move {0} to {1}?", [item.title || item.name, item.nextStage]), () =>
			this.set_value(item, "stage", item.nextStage).then(() =>
				frappe.show_alert({ message: __("Moved to {0}", [item.nextStage]), indicator: "green" })
			)
		);
	}

	set_value(item, fieldname, value) {
		return frappe
			.call({
				method: "frappe.client.set_value",
				args: { doctype: item.doctype, name: item.name, fieldname, value },
				freeze: true,
			})
			.then(() => this.refresh());
	}
}
