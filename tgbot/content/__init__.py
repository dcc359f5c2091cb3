"""Content: the texts in ``messages/``, loaded and validated at start-up."""

from tgbot.content.catalog import (
    Button,
    Catalog,
    Command,
    Content,
    ContentError,
    Screen,
    load_content,
    messages_dir,
)

__all__ = [
    "Button",
    "Catalog",
    "Command",
    "Content",
    "ContentError",
    "Screen",
    "load_content",
    "messages_dir",
]
