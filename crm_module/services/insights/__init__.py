"""What the CRM learns from its data: lead scores and predicted conversion, customer health, churn risk, segments."""
