"""Cramp & spasm self-care Telegram bot."""
