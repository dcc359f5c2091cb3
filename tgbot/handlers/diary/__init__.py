"""The diary's Telegram side: its commands, buttons and prompts (flow) and screens (views)."""
