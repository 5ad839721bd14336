"""Where the store is: ``--db``, else ``LAOP_DB``, else a file in the user data folder.

Free of the database stack: the console script looks here before it loads SQLAlchemy.
"""

import os
from pathlib import Path

__all__ = ["database_value", "default_database_path", "sqlite_file"]


def default_database_path() -> Path:
    """The SQLite file used when neither --db nor LAOP_DB names one."""
    from platformdirs import user_data_path

    return user_data_path("laop", appauthor=False) / "laop.db"


def database_value(db: str | None) -> str:
    """The --db value in force: the option, LAOP_DB, or the default file."""
    return db or os.environ.get("LAOP_DB") or str(default_database_path())


def sqlite_file(value: str) -> Path:
    """The SQLite file a --db value that is not a URL names."""
    return Path(value).expanduser().resolve()
