"""Analysis: KPIs, rubric signals, phase and renewal decision, each finding with evidence."""
