"""Storage: SQLite behind a small repository API. No SQL lives outside this package."""

from tgbot.storage.database import Database, StorageError, StorageUnavailable, open_database
from tgbot.storage.diary import DiaryRecord, DiaryRepository
from tgbot.storage.reminders import ReminderRecord, ReminderRepository
from tgbot.storage.users import UserRecord, UserRepository

__all__ = [
    "Database",
    "DiaryRecord",
    "DiaryRepository",
    "ReminderRecord",
    "ReminderRepository",
    "StorageError",
    "StorageUnavailable",
    "UserRecord",
    "UserRepository",
    "open_database",
]
