"""Sales management: Kanban boards, the forecast, targets, teams and territories, follow-ups and pipeline ageing."""
