"""Framework-free domain rules of the CRM: money, forecasting, pipelines, lead scoring, customer health,
dashboard metrics, dynamic segments, predictive lead scoring and contact points.

Nothing in this package imports frappe; the Frappe controllers and services call into it and turn its
``ValueError`` exceptions into user-facing errors."""
