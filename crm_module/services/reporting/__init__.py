"""Figures for the dashboard and reports: metrics, their cache, trends, shared report columns and the customer 360 read."""
