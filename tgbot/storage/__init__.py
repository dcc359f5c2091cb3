"""Storage: SQLite behind a small repository API. No SQL lives outside this package."""

from tgbot.storage.database import Database, open_database
from tgbot.storage.users import UserRecord, UserRepository

__all__ = ["Database", "UserRecord", "UserRepository", "open_database"]
