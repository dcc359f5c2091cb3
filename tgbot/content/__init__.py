"""Content: the texts in ``messages/``, loaded and validated at start-up."""

from tgbot.content.catalog import Content, load_content, messages_dir
from tgbot.content.checks import ContentError
from tgbot.content.model import Button, Catalog, Command, Country, EmergencyNumbers, Screen

__all__ = [
    "Button",
    "Catalog",
    "Command",
    "Content",
    "ContentError",
    "Country",
    "EmergencyNumbers",
    "Screen",
    "load_content",
    "messages_dir",
]
