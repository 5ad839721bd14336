"""The closed vocabularies of the domain (DOMAIN §2).

Kept free of the database stack so that the command line can build its choices
without importing SQLAlchemy.
"""

from enum import StrEnum
from typing import TypeVar

__all__ = [
    "DEFAULT_TIMEZONE",
    "OPEN_INQUIRY_STATUSES",
    "Channel",
    "Direction",
    "Grade",
    "InquiryStatus",
    "MessageKind",
    "Nature",
    "Region",
    "Role",
    "Source",
    "parse_enum",
]


# The business time zone while the setting "timezone" is unset: the supplier's, in China.
DEFAULT_TIMEZONE = "Asia/Shanghai"


class Role(StrEnum):
    SALES = "sales"
    MANAGER = "manager"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Nature(StrEnum):
    TRADER = "trader"
    WHOLESALER = "wholesaler"
    RETAILER = "retailer"
    IMPORTER = "importer"
    DISTRIBUTOR = "distributor"
    BRAND = "brand"
    MANUFACTURER = "manufacturer"
    E_COMMERCE = "e-commerce"
    OTHER = "other"


class Source(StrEnum):
    INQUIRY = "inquiry"
    TM = "tm"
    RFQ = "rfq"
    VISITOR_MARKETING = "visitor-marketing"
    TRADE_SHOW = "trade-show"
    OLD_CUSTOMER = "old-customer"
    REFERRAL = "referral"
    WEBSITE = "website"
    EMAIL = "email"
    PHONE = "phone"
    FAX = "fax"
    SOCIAL = "social"


class Channel(StrEnum):
    INQUIRY = "inquiry"
    TM = "tm"
    EMAIL = "email"
    PHONE = "phone"
    FAX = "fax"
    POST = "post"
    WHATSAPP = "whatsapp"
    VISIT = "visit"
    MEETING = "meeting"
    TRADE_SHOW = "trade-show"


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageKind(StrEnum):
    REPLY = "reply"
    FOLLOW_UP = "follow-up"
    QUOTE = "quote"
    SAMPLE = "sample"
    NEWS = "news"
    NEW_PRODUCT = "new-product"
    GREETING = "greeting"
    TRADE_SHOW_INVITE = "trade-show-invite"
    OTHER = "other"


class InquiryStatus(StrEnum):
    NEW = "new"
    REPLIED = "replied"
    QUOTED = "quoted"
    SAMPLE = "sample"
    ORDERED = "ordered"
    LOST = "lost"
    SPAM = "spam"


# An inquiry is open until it ends in an order, is lost, or is marked spam.
OPEN_INQUIRY_STATUSES = ("new", "replied", "quoted", "sample")


class Region(StrEnum):
    """Market regions the seed prices differently (see services/normalize.py)."""

    NORTH_AMERICA = "North America"
    LATIN_AMERICA = "Latin America"
    WESTERN_EUROPE = "Western Europe"
    NORTHERN_EUROPE = "Northern Europe"
    SOUTHERN_EUROPE = "Southern Europe"
    EASTERN_EUROPE = "Eastern Europe"
    MIDDLE_EAST = "Middle East"
    AFRICA = "Africa"
    SOUTH_ASIA = "South Asia"
    SOUTHEAST_ASIA = "Southeast Asia"
    EAST_ASIA = "East Asia"
    CENTRAL_ASIA = "Central Asia"
    OCEANIA = "Oceania"
    OTHER = "Other"


# A channel that opens a first contact implies the buyer's source (DOMAIN §10).
SOURCE_BY_CHANNEL: dict[str, str] = {
    "inquiry": Source.INQUIRY,
    "tm": Source.TM,
    "email": Source.EMAIL,
    "phone": Source.PHONE,
    "fax": Source.FAX,
    "whatsapp": Source.SOCIAL,
    "trade-show": Source.TRADE_SHOW,
    "visit": Source.OLD_CUSTOMER,
    "meeting": Source.OLD_CUSTOMER,
    "post": Source.OLD_CUSTOMER,
}


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: str, *, what: str) -> E:
    """Return the member of ``enum`` named by ``value`` (case-insensitive).

    Raises InvalidInput naming the bad value and every accepted one.
    """
    from laop.errors import InvalidInput

    cleaned = value.strip().lower().replace("_", "-").replace(" ", "-")
    for member in enum:
        if member.value.lower() == cleaned:
            return member
    accepted = ", ".join(m.value for m in enum)
    raise InvalidInput(f"Unknown {what} {value!r}; use one of: {accepted}.")
