"""Bedtime reminders: settings (service), the sending engine, its pacing, the wall-clock
schedule, and the buttons (actions)."""
