"""Cell values of customer sheets: dates, grades, nature and source as people write them.

Dates
-----
Accepted: date and datetime cells; Excel serial numbers (1970–2099, also as text, a
fraction is the time of day); ``2026/3/5``, ``2026-03-05``, ``2026.3.5``,
``2026年3月5日`` (year first, optionally with a time ``14:30``); ``05.03.2026`` (dots:
day first, as in Germany and Russia); ``5/3/2026`` or ``3-5-2026`` only when the day is
obvious (a part above 12, or both parts equal) — otherwise the row is refused as
ambiguous rather than guessed; ``20260305``; ``5 Mar 2026`` and ``Mar 5, 2026``. A date
without a time means noon, business time.

Grades
------
``A``–``D`` (also ``A级``, ``B类客户``), ``1``–``4`` (1 = A, 4 = D, as in 一级客户),
stars: ``★★★★`` (four or more) = A, ``★★★`` = B, ``★★`` = C, ``★`` = D (``*`` and ``⭐``
count as stars, ``☆`` does not; ``3星`` is three stars).
"""

import re
import unicodedata
from datetime import datetime, time, timedelta
from typing import Any

from laop.enums import Nature, Source
from laop.errors import InvalidInput
from laop.services.sheet import cell_text

__all__ = [
    "NATURE_SYNONYMS",
    "SOURCE_SYNONYMS",
    "is_placeholder",
    "parse_grade",
    "parse_nature",
    "parse_sheet_date",
    "parse_source",
    "split_products",
]

FIRST_YEAR, LAST_YEAR = 1970, 2099
EXCEL_EPOCH = datetime(1899, 12, 30)
NOON = time(12, 0)
# What people put in a cell to say "nothing" (not "NA": that is Namibia).
PLACEHOLDERS = frozenset(
    ["-", "--", "—", "/", "无", "暂无", "n/a", "未知", "unknown", "null", "none"]
)
PLACEHOLDER_LENGTH = max(map(len, PLACEHOLDERS))

_TIME = r"(?:[ T]+(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?)?"
_OFFSET = r"\s*(Z|[+-]\d{2}:?\d{2})?"
_YEAR_FIRST = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME + _OFFSET, re.I
)
_DOTS = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME)
_YEAR_LAST = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})" + _TIME)
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[ -]([a-z]{3,9})\.?,?[ -](\d{4})" + _TIME, re.I)
_MONTH_NAME_DAY = re.compile(r"([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})" + _TIME, re.I)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_COMPACT = re.compile(r"\d{8}")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_DATE_HINT = "write it as 2026-03-05, 2026/3/5, 2026年3月5日 or 05.03.2026"


def is_placeholder(text: str) -> bool:
    """Tell whether a cell's text only says "nothing" (-, /, 无, N/A, unknown …)."""
    # Folding never shortens text, so a longer one is no placeholder.
    return len(text) <= PLACEHOLDER_LENGTH and text.casefold() in PLACEHOLDERS


def parse_sheet_date(value: Any) -> datetime | None:
    """A sheet's date or datetime; naive means business time, aware keeps its offset.

    Returns None for an empty cell; raises InvalidInput naming the value otherwise.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return _checked(value, value)
    if isinstance(value, bool):
        raise InvalidInput(f"Cannot read the date {value!r}; {_DATE_HINT}.")
    if hasattr(value, "year") and hasattr(value, "month"):  # a date cell
        return _checked(datetime.combine(value, NOON), value)
    if isinstance(value, int | float):
        return _number_date(float(value), value)
    if not isinstance(value, str):
        raise InvalidInput(f"Cannot read the date {cell_text(value)!r}; {_DATE_HINT}.")
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not text or is_placeholder(text):
        return None
    if _SERIAL.fullmatch(text) or _COMPACT.fullmatch(text):
        return _number_date(float(text), value)
    return _text_date(text, value)


def _number_date(number: float, original: Any) -> datetime:
    if number.is_integer() and 10_000_000 <= number < 100_000_000:
        digits = str(int(number))
        return _build(original, int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    # Excel's serial day count (1900 system); 25569 is 1970-01-01, 73051 is 2100-01-01.
    if not 25569 <= number < 73051:
        raise InvalidInput(f"Cannot read the date {cell_text(original)!r}; {_DATE_HINT}.")
    moment = EXCEL_EPOCH + timedelta(seconds=round(number * 86400))
    return moment.replace(hour=12) if number.is_integer() else moment


def _text_date(text: str, original: Any) -> datetime:
    match = _YEAR_FIRST.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups()[:3])
        moment = _build(original, year, month, day, *match.groups()[3:6])
        offset = match.group(7)
        if offset:
            iso = offset if offset.upper() == "Z" else offset[:3] + ":" + offset[-2:]
            moment = datetime.fromisoformat(moment.isoformat() + iso.replace("z", "Z"))
        return moment
    match = _DOTS.fullmatch(text)
    if match:
        day, month, year = (int(g) for g in match.groups()[:3])
        return _build(original, year, month, day, *match.groups()[3:])
    match = _YEAR_LAST.fullmatch(text)
    if match:
        first, second, year = (int(g) for g in match.groups()[:3])
        if first > 12 or first == second:
            day, month = first, second
        elif second > 12:
            day, month = second, first
        else:
            raise InvalidInput(
                f"Ambiguous date {cell_text(original)!r}: day/month or month/day? {_DATE_HINT}."
            )
        return _build(original, year, month, day, *match.groups()[3:])
    match = _DAY_MONTH_NAME.fullmatch(text) or _MONTH_NAME_DAY.fullmatch(text)
    if match:
        parts = match.groups()
        name, day_text = (parts[1], parts[0]) if parts[0].isdigit() else (parts[0], parts[1])
        named = _MONTHS.get(name.lower())
        if named:
            return _build(original, int(parts[2]), named, int(day_text), *parts[3:])
    raise InvalidInput(f"Cannot read the date {cell_text(original)!r}; {_DATE_HINT}.")


def _build(
    original: Any,
    year: int,
    month: int,
    day: int,
    hour: str | None = None,
    minute: str | None = None,
    second: str | None = None,
) -> datetime:
    try:
        moment = datetime(year, month, day, int(hour or 12), int(minute or 0), int(second or 0))
    except ValueError:
        raise InvalidInput(f"No such date {cell_text(original)!r}; {_DATE_HINT}.") from None
    return _checked(moment, original)


def _checked(moment: datetime, original: Any) -> datetime:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InvalidInput(
            f"The date {cell_text(original)!r} is outside {FIRST_YEAR}–{LAST_YEAR}; {_DATE_HINT}."
        )
    return moment


# ------------------------------------------------------------------------ grades

_GRADE_WORDS = re.compile(r"^(?:grade|level|等级|级别)\s*|\s*(?:级客户|类客户|级|类|客户|grade)$")
_STAR_CHARS = frozenset("★*⭐☆ ")


def parse_grade(value: Any) -> str | None:
    """A grade A–D from a letter, a digit 1–4 or stars (see the module docstring)."""
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    if not text or is_placeholder(text):
        return None
    bare = _GRADE_WORDS.sub("", text.casefold()).strip()
    if bare in ("a", "b", "c", "d"):
        return bare.upper()
    if bare in ("1", "2", "3", "4"):
        return "ABCD"[int(bare) - 1]
    stars = None
    if bare and set(bare) <= _STAR_CHARS:
        stars = sum(bare.count(ch) for ch in "★*⭐")
    elif re.fullmatch(r"[1-9]\s*(?:星|stars?)", bare):
        stars = int(bare[0])
    if stars:
        return "DCBA"[min(stars, 4) - 1]
    raise InvalidInput(f"Unknown grade {text!r}; use A–D, 1–4 (1 = A) or stars ★–★★★★.")


# ------------------------------------------------------------------------ nature and source


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


NATURE_SYNONYMS: dict[str, str] = {
    "trader": "贸易商 贸易公司 贸易 外贸公司 中间商 trading tradingcompany traders",
    "wholesaler": "批发商 批发 wholesale wholesalers",
    "retailer": "零售商 零售 商店 门店 超市 retail retailers store shop supermarket",
    "importer": "进口商 进口 import importers",
    "distributor": "分销商 经销商 代理商 代理 分销 经销 distribution distributors dealer agent "
    "reseller",
    "brand": "品牌商 品牌 品牌方 brandowner brands",
    "manufacturer": "制造商 工厂 生产商 厂家 厂商 制造 factory producer maker oem manufacturers",
    "e-commerce": "电商 电商卖家 跨境电商 亚马逊卖家 网店 ecommerce onlineseller onlineshop "
    "amazonseller amazon",
    "other": "其他 其它 others",
}
SOURCE_SYNONYMS: dict[str, str] = {
    "inquiry": "询盘 阿里询盘 国际站询盘 阿里巴巴询盘 国际站 阿里巴巴 alibaba enquiry inquiries",
    "tm": "旺旺 阿里旺旺 trademanager 即时沟通",
    "rfq": "rfq报价 采购直达 buyingrequest",
    "visitor-marketing": "访客营销 访客 visitormarketing",
    "trade-show": "展会 广交会 展览会 交易会 tradeshow exhibition fair cantonfair expo",
    "old-customer": "老客户 老客户复购 复购 existingcustomer returningcustomer repeatcustomer",
    "referral": "转介绍 介绍 推荐 客户介绍 朋友介绍 老客户介绍 referred recommendation",
    "website": "官网 网站 独立站 公司官网 谷歌 google web homepage",
    "email": "邮件 开发信 邮件营销 mail coldemail",
    "phone": "电话 telephone call",
    "fax": "传真",
    "social": "社交 社交媒体 领英 脸书 facebook linkedin instagram whatsapp twitter tiktok "
    "youtube sns socialmedia",
}


def _vocabulary(enum: Any, synonyms: dict[str, str]) -> dict[str, str]:
    table = {_fold(member.value): member.value for member in enum}
    for value, words in synonyms.items():
        for word in words.split():
            table[_fold(word)] = value
    return table


_NATURES = _vocabulary(Nature, NATURE_SYNONYMS)
_SOURCES = _vocabulary(Source, SOURCE_SYNONYMS)


def parse_nature(text: str) -> str | None:
    """A buyer's nature (trader … other) from English or Chinese (贸易商, 工厂 …)."""
    return _lookup(text, _NATURES, Nature, "nature")


def parse_source(text: str) -> str | None:
    """A buyer's source (inquiry … social) from English or Chinese (询盘, 展会 …)."""
    return _lookup(text, _SOURCES, Source, "source")


def _lookup(text: str, table: dict[str, str], enum: Any, what: str) -> str | None:
    if not text or is_placeholder(text):
        return None
    found = table.get(_fold(text))
    if found is None:
        accepted = ", ".join(m.value for m in enum)
        raise InvalidInput(f"Unknown {what} {text!r}; use one of: {accepted} (or 中文).")
    return found


_PRODUCT_SEPARATORS = re.compile(r"[,;，；、\n\r]+")


def split_products(text: str) -> list[str]:
    """Products listed in one cell; a slash stays (``LED 60x60/600x600``)."""
    return [p.strip() for p in _PRODUCT_SEPARATORS.split(text) if p.strip()]
