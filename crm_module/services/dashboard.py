"""The CRM dashboard (spec: getCRMDashboardData); the figures are defined in `crm_module.services.metrics`."""

from crm_module.services import metrics


def get_crm_dashboard_data(user: str | None = None, from_date=None, to_date=None) -> dict:
	"""Every dashboard figure for `user` (default: the session user) in camelCase keys: totalCustomers,
	totalLeads, totalOpportunities, pipelineValue, conversionRate, averageDealSize, recentInteractions,
	topOpportunities, stagePipeline, leadsBySource, conversionMetrics, currencies, mixedCurrencies."""
	return metrics.get_dashboard(user, from_date, to_date)
