"""Reminders' Telegram side: set-up and buttons (flow), screens (views), sending (delivery)."""
