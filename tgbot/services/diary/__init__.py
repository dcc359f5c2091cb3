"""The cramp diary: entries and summaries (model), logging and exports (service), its
buttons (actions), and the chart, PDF and CSV (render)."""
