"""Domain logic with no Telegram imports: navigation, and later triage, matching, scheduling."""
