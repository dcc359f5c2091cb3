"""Storage: SQLite or PostgreSQL behind a small repository API. No SQL lives outside this
package."""

from tgbot.storage.database import Database, StorageError, StorageUnavailable, open_database
from tgbot.storage.diary import DiaryRecord, DiaryRepository
from tgbot.storage.reminders import ReminderRecord, ReminderRepository
from tgbot.storage.store import Store, open_store
from tgbot.storage.users import UserRecord, UserRepository

__all__ = [
    "Database",
    "DiaryRecord",
    "DiaryRepository",
    "ReminderRecord",
    "ReminderRepository",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "UserRecord",
    "UserRepository",
    "open_database",
    "open_store",
]
