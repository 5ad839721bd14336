"""Every table of the laop store (DOMAIN §2).

Instants are stored as naive UTC (see UTCDateTime) and handled in Python as aware UTC
datetimes. Business days are derived with the business time zone when read.

Each group of tables lives in its own module and is loaded when first named
(``from laop.models import Customer``), together with the tables its foreign keys
name: building a table class costs a few milliseconds, and `laop due` needs five of
the thirteen. ``load_all()`` loads every table (migrations, schema checks).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from laop.models.base import (
    ExactDecimal,
    StoreModel,
    UTCDateTime,
    as_decimal,
    stored_instant,
    utcnow,
)

if TYPE_CHECKING:
    from laop.models.activity import ActivityCount, MonthlyTarget
    from laop.models.contact import CustomerContact, CustomerProduct
    from laop.models.customer import Customer, CustomerBase
    from laop.models.history import CustomerEvent, GradeChange
    from laop.models.inquiry import Inquiry
    from laop.models.message import Message
    from laop.models.order import Order
    from laop.models.reply_clock import ReplyClock
    from laop.models.setting import Setting
    from laop.models.user import User

__all__ = [
    "ActivityCount",
    "Customer",
    "CustomerBase",
    "CustomerContact",
    "CustomerEvent",
    "CustomerProduct",
    "ExactDecimal",
    "GradeChange",
    "Inquiry",
    "Message",
    "MonthlyTarget",
    "Order",
    "ReplyClock",
    "Setting",
    "StoreModel",
    "UTCDateTime",
    "User",
    "as_decimal",
    "load_all",
    "stored_instant",
    "utcnow",
]

_MODULE_OF = {
    "ActivityCount": "activity",
    "MonthlyTarget": "activity",
    "CustomerContact": "contact",
    "CustomerProduct": "contact",
    "Customer": "customer",
    "CustomerBase": "customer",
    "CustomerEvent": "history",
    "GradeChange": "history",
    "Inquiry": "inquiry",
    "Message": "message",
    "Order": "order",
    "ReplyClock": "reply_clock",
    "Setting": "setting",
    "User": "user",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def load_all() -> None:
    """Load every table, so that SQLModel.metadata describes the whole store."""
    for module in sorted(set(_MODULE_OF.values())):
        import_module(f"{__name__}.{module}")
