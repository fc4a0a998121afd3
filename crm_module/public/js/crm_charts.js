// Readable charts (issue 22): names that would be cut on a chart axis ("Pro …" at 1440 px, "…" at
// 390 px) are drawn as horizontal bars whose labels wrap; money axes read "€800K" / "$1.3M" in the
// chart's currency and tooltips show the full amount. Used by the Sales Dashboard page and, through
// `crm_module.charts.setup_report(report)` in a report's onload, by the app's script reports.
frappe.provide("crm_module.charts");

const CRM_CHART_COLOURS = ["blue", "green", "orange", "purple", "red", "cyan", "pink", "yellow", "gray"];

Object.assign(crm_module.charts, {
	/** An axis label of money: "€800K", "$1.3M", "-€20K" (the currency symbol, at most one decimal). */
	short_money(value, currency) {
		const number = Number(value) || 0;
		currency = currency || frappe.boot.sysdefaults.currency;
		try {
			return new Intl.NumberFormat(frappe.boot.lang || "en", {
				style: "currency",
				currency,
				notation: "compact",
				maximumFractionDigits: 1,
			}).format(number);
		} catch (e) {
			// not an ISO currency code: our own short form after the symbol
			const units = [
				[1e12, "T"],
				[1e9, "B"],
				[1e6, "M"],
				[1e3, "K"],
			];
			const [size, suffix] = units.find(([size]) => Math.abs(number) >= size) || [1, ""];
			const short = Math.round((number / size) * 10) / 10;
			return `${get_currency_symbol(currency) || ""}${short}${suffix}`;
		}
	},

	/** frappe-charts options for a money chart: the y axis short in `currency`, tooltips the full amount. */
	money_options(currency) {
		return {
			axisOptions: {
				shortenYAxisNumbers: 1,
				numberFormatter: (value) => crm_module.charts.short_money(value, currency),
			},
			tooltipOptions: { formatTooltipY: (value) => format_currency(value || 0, currency) },
		};
	},

	colour(name) {
		return /^(#|rgb|var\()/.test(name || "") ? name : `var(--${name || "blue"}-500)`;
	},

	/**
	 * Horizontal bars in HTML: one row per label, whose name wraps instead of being cut.
	 * chart: {data: {labels, datasets: [{name, values}]}, colors, format(value) -> text,
	 *         links: [attributes of each row's link] (optional)}. Several datasets: a bar each and a legend.
	 */
	hbars(wrapper, chart) {
		const { labels = [], datasets = [] } = chart.data || {};
		const colours = (chart.colors && chart.colors.length ? chart.colors : CRM_CHART_COLOURS).map((c) =>
			crm_module.charts.colour(c)
		);
		const format = chart.format || ((value) => format_number(value || 0, null, 0));
		const values = datasets.flatMap((dataset) => dataset.values.map((value) => Math.abs(Number(value) || 0)));
		const largest = Math.max(...values, 0) || 1;
		const escape = frappe.utils.escape_html;
		const legend =
			datasets.length > 1
				? `<div class="crm-hbars-legend">${datasets
						.map(
							(dataset, i) =>
								`<span><i style="background: ${colours[i % colours.length]}"></i>${escape(dataset.name || "")}</span>`
						)
						.join("")}</div>`
				: "";
		const rows = labels
			.map((label, row) => {
				const bars = datasets
					.map((dataset, i) => {
						const value = Number(dataset.values[row]) || 0;
						const share = Math.round((Math.abs(value) / largest) * 1000) / 10;
						const title = escape(`${dataset.name || ""}: ${format(value)}`);
						return `<div class="crm-hbar-track" title="${title}">
							<div class="crm-hbar-fill" style="width: calc((100% - 7.5rem) * ${share / 100}); background: ${colours[i % colours.length]}"></div>
							<span class="crm-hbar-value">${escape(String(format(value)))}</span>
						</div>`;
					})
					.join("");
				const link = chart.links && chart.links[row];
				const tag = link ? "a" : "div";
				return `<${tag} class="crm-hbar" ${link || ""}>
					<div class="crm-hbar-label">${escape(String(label))}</div>
					<div class="crm-hbar-bars">${bars}</div>
				</${tag}>`;
			})
			.join("");
		$(wrapper).html(`<div class="crm-hbars">${legend}${rows}</div>`);
	},

	/**
	 * Make a query report's chart readable: a chart dict with `"horizontal": 1` is drawn as `hbars`,
	 * a money chart (`currency_chart`: `fieldtype` Currency and `currency`) gets a short money axis,
	 * and the dict's own `axisOptions` (e.g. `xIsSeries`), which the desk replaces, are kept.
	 */
	setup_report(report) {
		if (report.__crm_charts) return;
		report.__crm_charts = true;
		const get_options = report.get_chart_options.bind(report);
		report.get_chart_options = (data) => {
			const own_axis = { ...((data && data.chart && data.chart.axisOptions) || {}) };
			const options = get_options(data);
			if (!options) return options;
			if (options.fieldtype === "Currency") {
				const money = crm_module.charts.money_options(options.currency);
				Object.assign(options.axisOptions, money.axisOptions);
				options.tooltipOptions = money.tooltipOptions;
			}
			Object.assign(options.axisOptions, own_axis);
			return options;
		};
		const render_chart = report.render_chart.bind(report);
		report.render_chart = (options) => {
			if (!options.horizontal) return render_chart(options);
			report.$chart.empty().show();
			const money = options.fieldtype === "Currency";
			crm_module.charts.hbars(report.$chart[0], {
				...options,
				format: money ? (value) => format_currency(value || 0, options.currency) : null,
			});
		};
	},
});
