"""Normalise what buyers and salespeople type: e-mails, phones, countries and names.

Intake (DOMAIN §3) finds a buyer again by the same e-mail, the same phone in E.164,
the same company e-mail domain, or a company/contact name that fuzzy-matches. Each of
those only works if both sides are reduced to one spelling first; this module is that
reduction. It is pure (no database, no terminal) so that import and intake share it.

The heavy libraries are imported at the top of this module on purpose: the command
line imports *this module* lazily, inside the commands that need it.

Market regions
--------------
``REGION_BY_COUNTRY`` maps every ISO 3166-1 alpha-2 code to a sales market. The
grouping follows how an export team prices and reports, not the UN geoscheme:

=================  ==========================================================
Region             Members and the reasons for the borderline ones
=================  ==========================================================
North America      US, CA, plus Bermuda, Greenland and St Pierre & Miquelon
                   (served, priced and shipped like their neighbours).
Latin America      Mexico, Central and South America, the whole Caribbean,
                   including Puerto Rico and the US Virgin Islands (Spanish-
                   or Caribbean-market buyers even where the flag is US) and
                   the Falklands.
Western Europe     DE FR NL BE LU AT CH LI MC, the British Isles (GB IE and
                   the crown dependencies GG JE IM).
Northern Europe    The Nordics only: SE NO DK FI IS, the Faroes, Åland,
                   Svalbard & Jan Mayen. The Baltics buy like their eastern
                   neighbours and go to Eastern Europe.
Southern Europe    ES PT IT GR MT CY SM VA AD GI and the western Balkans
                   (HR SI BA RS ME MK AL, and XK for Kosovo, which pycountry
                   lacks but buyers, phone numbers and the EU use).
Eastern Europe     PL CZ SK HU RO BG UA BY MD RU and the Baltics EE LV LT.
Middle East        The Gulf (AE SA QA KW BH OM), YE IQ IR JO LB SY IL PS and
                   TR. Cyprus is an EU member and stays in Southern Europe.
Africa             Every African state and territory, North Africa included.
                   Egypt goes here, not to the Middle East: it is an African
                   Union member and its buyers order like North Africa's; a
                   MENA report can add the two regions together.
South Asia         IN PK BD LK NP BT MV and AF.
Southeast Asia     The ASEAN states VN TH MY SG ID PH MM KH LA BN and TL.
East Asia          CN HK MO TW JP KR KP MN.
Central Asia       KZ UZ TM KG TJ and the Caucasus (AM AZ GE), which
                   trade through the same routes and Russian-speaking buyers.
Oceania            AU NZ, the Pacific islands (including US, French and NZ
                   territories there) and Australia's Indian Ocean islands
                   (Christmas, Cocos), which are Australian customs territory.
Other              Antarctica and uninhabited territories: AQ BV GS HM TF IO.
=================  ==========================================================

Country look-up accepts only exact names after normalisation; a near miss gets a
"did you mean" hint, never a silent guess, because a wrong country moves a buyer to
the wrong market in every report.
"""

import gettext
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from operator import itemgetter, methodcaller

import pycountry
from rapidfuzz import fuzz, process

from laop.enums import Region
from laop.errors import InvalidInput

__all__ = [
    "FREE_MAIL_DOMAINS",
    "REGION_BY_COUNTRY",
    "company_domain",
    "company_domains",
    "company_key",
    "country_name",
    "email_domain",
    "is_free_mail",
    "name_numbers",
    "name_similarity",
    "names_numbers",
    "normalize_country",
    "normalize_email",
    "normalize_phone",
    "one_item_each",
    "person_key",
    "region_of",
    "split_multi",
]


def _words(text: str) -> list[str]:
    """Split a whitespace-separated table written as one string literal."""
    return text.split()


def _table(text: str) -> dict[str, list[str]]:
    """Parse lines of ``KEY: item, item, …`` written as one string literal.

    Long vocabularies read better as such a table than as one literal per line.
    """
    table: dict[str, list[str]] = {}
    for line in text.strip().splitlines():
        key, _, items = line.partition(":")
        table.setdefault(key.strip(), []).extend(
            item.strip() for item in items.split(",") if item.strip()
        )
    return table


# --------------------------------------------------------------------------- e-mail

_ANGLE_ADDRESS = re.compile(r"<([^<>]*)>\s*$")


def normalize_email(value: str) -> str:
    """Return ``value`` as a checked, lower-case e-mail address.

    Accepts what people paste from a mail client (``"Ann <ann@x.com>"``,
    ``mailto:ann@x.com``). Deliverability is not checked: intake must work offline.
    Raises InvalidInput naming the value when the syntax is wrong.
    """
    text = value.strip()
    match = _ANGLE_ADDRESS.search(text)
    if match:
        text = match.group(1).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :]
    # Loaded when first needed (a tenth of a second with phonenumbers): an import
    # checks most addresses and numbers without them (import_rows.fast_email).
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(
            f"Malformed e-mail {value!r}; expected something like name@example.com."
        ) from None
    # The whole address is lower-cased, local part included: no mail host a buyer
    # uses treats Ann@ and ann@ as different people, and intake matches on equality.
    return result.normalized.lower()


def email_domain(email: str) -> str:
    """Return the lower-case domain of ``email`` (the part after the last @).

    Returns "" when there is no @, so callers can treat it as "no domain".
    """
    _, at, domain = email.strip().rpartition("@")
    return domain.strip().rstrip(".").lower() if at else ""


# Webmail domains never identify a company: two buyers on gmail.com are strangers.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    _words(
        """
    gmail.com googlemail.com
    outlook.com outlook.fr outlook.de outlook.es outlook.it outlook.jp outlook.kr
    outlook.com.br outlook.com.ar outlook.com.au outlook.com.tr outlook.com.vn
    hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.es hotmail.it hotmail.nl
    hotmail.be hotmail.ca hotmail.com.br hotmail.com.ar hotmail.com.mx hotmail.com.tr
    hotmail.co.jp hotmail.co.th hotmail.co.za hotmail.cl hotmail.gr hotmail.se
    live.com live.co.uk live.fr live.de live.nl live.it live.ca live.com.au
    live.com.mx live.cn live.in live.ru live.se live.dk live.no live.be live.at
    msn.com windowslive.com passport.com
    yahoo.com yahoo.co.uk yahoo.co.in yahoo.co.jp yahoo.co.id yahoo.co.th yahoo.co.kr
    yahoo.co.nz yahoo.co.za yahoo.com.au yahoo.com.br yahoo.com.ar yahoo.com.mx
    yahoo.com.sg yahoo.com.my yahoo.com.ph yahoo.com.vn yahoo.com.tw yahoo.com.hk
    yahoo.com.cn yahoo.com.tr yahoo.com.co yahoo.com.pe yahoo.cn yahoo.ca yahoo.fr
    yahoo.de yahoo.es yahoo.it yahoo.gr yahoo.ie yahoo.in yahoo.se yahoo.dk yahoo.no
    yahoo.pl yahoo.ro yahoo.nl yahoo.be yahoo.at yahoo.ch
    ymail.com rocketmail.com
    aol.com aol.co.uk aol.fr aol.de aim.com
    icloud.com me.com mac.com
    proton.me protonmail.com protonmail.ch pm.me tutanota.com tuta.io
    gmx.com gmx.net gmx.de gmx.at gmx.ch gmx.fr gmx.co.uk gmx.us web.de
    t-online.de freenet.de arcor.de posteo.de mailbox.org
    mail.com email.com usa.com post.com inbox.com fastmail.com fastmail.fm hushmail.com
    zoho.com zohomail.com yandex.com yandex.ru yandex.ua yandex.by yandex.kz ya.ru
    mail.ru bk.ru inbox.ru list.ru internet.ru rambler.ru ukr.net i.ua meta.ua
    qq.com vip.qq.com foxmail.com 163.com vip.163.com 126.com vip.126.com yeah.net
    188.com sina.com sina.cn vip.sina.com sohu.com aliyun.com 139.com 189.cn wo.cn
    tom.com 21cn.com
    naver.com daum.net hanmail.net kakao.com nate.com
    rediffmail.com sify.com indiatimes.com
    libero.it virgilio.it tiscali.it alice.it tim.it
    orange.fr free.fr laposte.net wanadoo.fr sfr.fr neuf.fr bbox.fr
    terra.com.br uol.com.br bol.com.br ig.com.br globo.com
    telefonica.net hotmail.es
    btinternet.com sky.com talktalk.net virginmedia.com ntlworld.com
    bigpond.com bigpond.net.au optusnet.com.au xtra.co.nz
    shaw.ca rogers.com sympatico.ca comcast.net verizon.net att.net sbcglobal.net
    bellsouth.net cox.net charter.net earthlink.net juno.com
    seznam.cz centrum.cz wp.pl o2.pl onet.pl interia.pl
    abv.bg inbox.lv walla.co.il
    """
    )
)

# Providers that run the same service under many country domains (yahoo.com.vn,
# hotmail.co.th …); listing every variant would always miss one.
_FREE_MAIL_FAMILIES = frozenset({"yahoo", "hotmail", "live", "outlook", "gmx", "yandex"})


def is_free_mail(domain: str) -> bool:
    """Tell whether ``domain`` is a webmail provider rather than a company's own.

    Besides FREE_MAIL_DOMAINS this accepts any country variant of Yahoo, Hotmail,
    Live, Outlook, GMX and Yandex (``yahoo.com.vn``, ``gmx.ch``).
    """
    domain = domain.strip().rstrip(".").lower()
    if domain in FREE_MAIL_DOMAINS:
        return True
    first, _, rest = domain.partition(".")
    if first not in _FREE_MAIL_FAMILIES or not rest:
        return False
    # A country variant is at most two short labels ("com.br", "co.uk", "fr"); a
    # longer tail such as "yahoo.acme-corp.com" is somebody's own domain.
    labels = rest.split(".")
    return len(labels) <= 2 and all(0 < len(label) <= 3 for label in labels)


def company_domain(email: str) -> str | None:
    """The domain of ``email`` when it is a company's own: None for free mail or none."""
    domain = email_domain(email)
    return None if not domain or is_free_mail(domain) else domain


def _domain_texts(texts: Iterable[str]) -> Iterable[str]:
    # email_domain's (and is_free_mail's) clean-up of each text, in C.
    return map(str.lower, map(methodcaller("rstrip", "."), map(str.strip, texts)))


def company_domains(emails: list[str]) -> list[str | None]:
    """company_domain of each e-mail (an import's chunk of them), in C where it can.

    Each domain is cut out as email_domain cuts it; free mail is looked for one
    address at a time only when one of the domains is a free-mail domain or starts
    with a free-mail provider's name.
    """
    parts = list(map(methodcaller("rpartition", "@"), map(str.strip, emails)))
    if not all(map(itemgetter(1), parts)):
        return list(map(company_domain, emails))  # an address without "@"
    domains = list(_domain_texts(map(itemgetter(2), parts)))
    looked_up = list(_domain_texts(domains))  # as is_free_mail takes them
    firsts = map(itemgetter(0), map(methodcaller("partition", "."), looked_up))
    if FREE_MAIL_DOMAINS.isdisjoint(looked_up) and _FREE_MAIL_FAMILIES.isdisjoint(firsts):
        return [domain or None for domain in domains] if "" in domains else domains  # type: ignore[return-value]
    return [None if not domain or is_free_mail(domain) else domain for domain in domains]


# --------------------------------------------------------------------------- phones

_PHONE_EXAMPLE = "+49 30 1234567"


def normalize_phone(value: str, *, country: str | None = None) -> str:
    """Return ``value`` as an E.164 phone number such as ``+4930123456``.

    Spaces, dashes, dots, brackets and a leading ``+`` or ``00`` are accepted.
    ``country`` (alpha-2, or anything normalize_country accepts) is the region
    assumed for numbers written without an international prefix. Raises InvalidInput
    naming the value unless phonenumbers deems the number valid.
    """
    import phonenumbers  # loaded when first needed, as email_validator above

    text = unicodedata.normalize("NFKC", value).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = None
    if country:
        # phonenumbers knows regions ISO lacks (AC Ascension, TA Tristan da Cunha).
        region = country.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            region = normalize_country(country)
    international = text.startswith("+")
    hint = "" if international or region else ", or give the country when it has no + prefix"
    message = (
        f"Malformed phone {value!r}; give it in international form such as {_PHONE_EXAMPLE}{hint}."
    )
    try:
        number = phonenumbers.parse(text, None if international else region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(message) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_CELL_SEPARATORS = re.compile(r"[,;\n\r\t、，；|｜]+")
_SLASH = re.compile(r"\s*[/／]\s*")
# A "+" can only start a number, so whitespace before one separates two numbers.
_BEFORE_PLUS = re.compile(r"\s+(?=\+)")
# "030/1234567" is one German number (area code / subscriber); "13800138000/
# 13900139000" is two Chinese mobiles. A left side this short is an area code.
_AREA_CODE_DIGITS = 5
# Any character that can split a cell (separators, slashes, whitespace).
_MULTI_MARKS = re.compile(r"[,;\n\r\t、，；|｜/／\s]")


def one_item_each(texts: list[str]) -> bool:
    """Whether split_multi gives each of these (non-empty) texts back whole.

    One search over them all: no text holds a separator or a space.
    """
    return not _MULTI_MARKS.search("\0".join(texts))


def split_multi(value: str) -> list[str]:
    """Split a spreadsheet cell holding several e-mails or phones into its items.

    Separators: ``,`` ``;`` ``/`` ``|``, newlines and their full-width forms
    (``、`` ``，`` ``；``). Whitespace separates e-mail addresses and a ``+`` that
    starts a new number, but never the groups inside one phone number, so
    ``"+86 138 0013 8000"`` stays whole. A ``/`` after five digits or fewer is an
    area-code separator (``030/1234567``), not a list separator. Items are stripped,
    empties dropped and duplicates (ignoring case) removed; order is kept.
    """
    if not _MULTI_MARKS.search(value):
        # No separator and no space: the cell is one item (most cells are).
        return [value] if value else []
    return _split_items(value)


def _split_items(value: str) -> list[str]:
    items: list[str] = []
    for chunk in _CELL_SEPARATORS.split(value):
        for part in _split_slashes(chunk):
            if "@" in part:
                items.extend(part.split())
            else:
                items.extend(_BEFORE_PLUS.split(part))
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = item.strip()
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            result.append(item)
    return result


def _split_slashes(chunk: str) -> list[str]:
    pieces = _SLASH.split(chunk)
    parts = [pieces[0]]
    for piece in pieces[1:]:
        left = parts[-1]
        digits = sum(ch.isdigit() for ch in left)
        if "@" not in left and 0 < digits <= _AREA_CODE_DIGITS and not left.strip().isalpha():
            parts[-1] = f"{left}/{piece}"
        else:
            parts.append(piece)
    return parts


# --------------------------------------------------------------------------- countries

# Kosovo has no ISO code, but phonenumbers, the EU and buyers use XK.
_EXTRA_COUNTRIES = {"XK": ("XKX", "Kosovo", "科索沃")}

# English spellings buyers and staff type that are not an ISO name, common name or
# official name, by the code they mean. The tests check that none is ambiguous.
# Dubai is a city, but it is what many Gulf buyers give as their country.
_ENGLISH_ALIASES = _table(
    """
    US: America, U.S.A., U.S., United States, United States of America
    GB: UK, U.K., Great Britain, Britain, England, Scotland, Wales, Northern Ireland
    AE: UAE, U.A.E., Emirates, Dubai
    SA: KSA, Saudi
    RU: Russia
    KR: Korea, Republic of Korea
    KP: North Korea, DPRK
    IR: Iran
    SY: Syria
    TR: Turkey, Turkiye
    NL: Holland
    CZ: Czech Republic
    CI: Ivory Coast, Cote d'Ivoire
    LA: Laos
    MD: Moldova
    BO: Bolivia
    VE: Venezuela
    TZ: Tanzania
    TW: Taiwan
    HK: Hong Kong, Hongkong
    MO: Macau, Macao
    PS: Palestine
    VA: Vatican, Vatican City, Holy See
    BN: Brunei
    CV: Cape Verde
    SZ: Swaziland
    MM: Burma
    MK: Macedonia
    CD: DR Congo, DRC, Congo-Kinshasa, Democratic Republic of the Congo
    CG: Congo-Brazzaville, Republic of Congo
    TL: East Timor
    FM: Micronesia
    KN: Saint Kitts
    VC: Saint Vincent
    BA: Bosnia
    TT: Trinidad
    FK: Falkland Islands, Falklands
    VG: British Virgin Islands
    VI: US Virgin Islands
    CN: Mainland China, China Mainland, PRC
    KG: Kyrgyzstan
    SK: Slovak Republic
    RE: Reunion
    CW: Curacao
    AX: Aland Islands
    ST: Sao Tome
    XK: Kosovo
    """
)
# Chinese forms sales staff type that pycountry's zh_CN/zh_TW/zh_HK catalogues lack
# (checked against them: 韩国, 朝鲜, 阿联酋, 台湾, 伊朗, 叙利亚, 英国, 美国, 俄罗斯,
# 越南, 老挝, 土耳其, 荷兰, 捷克, 坦桑尼亚, 委内瑞拉, 摩尔多瓦, 科特迪瓦, 新西兰,
# 马来西亚, 菲律宾, 印尼, 印度尼西亚 and 澳门 are already there). zh_CN also
# misspells Cambodia (柬埔塞) and Bolivia (波利维亚), hence the corrections.
_CHINESE_ALIASES = _table(
    """
    KR: 南韩, 大韩民国
    KP: 北韩
    AE: 阿拉伯联合酋长国, 迪拜
    SA: 沙特
    TW: 中国台湾
    RU: 俄国, 俄罗斯联邦
    CZ: 捷克共和国
    BO: 玻利维亚
    CD: 刚果(金), 刚果金, 民主刚果
    CG: 刚果(布), 刚果布
    CI: 象牙海岸
    AU: 澳洲
    NZ: 纽西兰
    HK: 中国香港
    MO: 中国澳门
    CN: 中国大陆
    GB: 英格兰, 苏格兰, 威尔士, 北爱尔兰, 大不列颠
    BD: 孟加拉国
    KH: 柬埔寨
    GT: 危地马拉
    KG: 吉尔吉斯斯坦
    TT: 特立尼达和多巴哥, 特立尼达
    DO: 多米尼加
    BA: 波黑
    MK: 马其顿
    SZ: 埃斯瓦蒂尼
    MN: 蒙古国
    VA: 梵蒂冈城国
    XK: 科索沃
    """
)

# The short Chinese name a salesperson writes, where it differs from pycountry's
# zh_CN translation of the common name. HK/MO/TW follow Alibaba.com's own labels.
_CHINESE_SHORT_NAMES: dict[str, str] = {
    "BO": "玻利维亚",
    "KH": "柬埔寨",
    "GT": "危地马拉",
    "BD": "孟加拉国",
    "KG": "吉尔吉斯斯坦",
    "TT": "特立尼达和多巴哥",
    "CD": "刚果（金）",
    "CG": "刚果（布）",
    "TW": "中国台湾",
    "HK": "中国香港",
    "MO": "中国澳门",
    "SA": "沙特",
    "XK": "科索沃",
}

# English display names where pycountry's ISO name reads like a register entry.
_ENGLISH_SHORT_NAMES: dict[str, str] = {
    "CD": "DR Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
    "BN": "Brunei",
    "RU": "Russia",
    "MO": "Macau",
    "FK": "Falkland Islands",
    "XK": "Kosovo",
}

_CHINESE_LOCALES = ("zh_CN", "zh_TW", "zh_HK")
_PUNCT_RUN = re.compile(r"[^\w]+|_+")


def _country_key(text: str) -> str:
    """Reduce a country spelling to the form the look-up tables are keyed by.

    NFKC folds full-width forms (刚果（金） → 刚果(金)); dots vanish so U.S.A. is
    usa; spaces and punctuation vanish too, so "Viet Nam" meets "Vietnam" and
    "Guinea Bissau" meets "Guinea-Bissau".
    """
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    text = text.replace(".", "").replace("'", "").replace("’", "")
    tokens = _PUNCT_RUN.sub(" ", text).split()
    if len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    if len(tokens) > 1 and tokens[0] == "st":
        tokens[0] = "saint"
    return "".join(tokens)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def _iso_names(country: object) -> list[str]:
    return [
        name
        for attr in ("name", "common_name", "official_name")
        if (name := getattr(country, attr, None))
    ]


@cache
def _chinese_catalogues() -> dict[str, gettext.NullTranslations]:
    catalogues: dict[str, gettext.NullTranslations] = {}
    for locale in _CHINESE_LOCALES:
        try:
            catalogues[locale] = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[locale]
            )
        except OSError:
            # An older pycountry may ship fewer locales; the hand lists still work.
            continue
    return catalogues


@cache
def _country_tables() -> tuple[dict[str, str], dict[str, str], dict[str, frozenset[str]]]:
    """Build (codes, names, ambiguous) once per process.

    Codes win over names. A name that two countries share (zh_TW 聖馬丁 is both
    Saint-Martin and Sint Maarten) is kept apart so that it is refused, not guessed.
    """
    codes: dict[str, str] = {}
    candidates: dict[str, set[str]] = {}

    def add(name: str, code: str) -> None:
        for variant in {name, _strip_accents(name)}:
            key = _country_key(variant)
            if key:
                candidates.setdefault(key, set()).add(code)

    for country in pycountry.countries:
        codes[country.alpha_2.casefold()] = country.alpha_2
        codes[country.alpha_3.casefold()] = country.alpha_2
        for name in _iso_names(country):
            add(name, country.alpha_2)
            for catalogue in _chinese_catalogues().values():
                translated = catalogue.gettext(name)
                if translated != name:
                    add(translated, country.alpha_2)
    for code, (alpha_3, english, chinese) in _EXTRA_COUNTRIES.items():
        codes[code.casefold()] = code
        codes[alpha_3.casefold()] = code
        add(english, code)
        add(chinese, code)
    for table in (_ENGLISH_ALIASES, _CHINESE_ALIASES):
        for code, aliases in table.items():
            for alias in aliases:
                add(alias, code)
    names = {key: next(iter(found)) for key, found in candidates.items() if len(found) == 1}
    ambiguous = {key: frozenset(found) for key, found in candidates.items() if len(found) > 1}
    return codes, names, ambiguous


def normalize_country(value: str) -> str:
    """Return the ISO 3166-1 alpha-2 code for a country as people write it.

    Accepts alpha-2 and alpha-3 codes, ISO English names (short, common and
    official), common aliases (USA, UK, UAE, Holland, Ivory Coast …) and Chinese
    names (德国, 阿联酋, 韩国 …), case- and punctuation-insensitively. Only exact
    matches count; a near miss raises InvalidInput with a "did you mean" hint.
    """
    key = _country_key(value)
    codes, names, ambiguous = _country_tables()
    if key in codes:
        return codes[key]
    if key in names:
        return names[key]
    if key in ambiguous:
        options = " or ".join(sorted(f"{country_name(c)} ({c})" for c in ambiguous[key]))
        raise InvalidInput(
            f"Ambiguous country {value!r}; it may be {options}, so give the ISO code."
        )
    hint = ""
    if len(key) >= 4:
        best = process.extractOne(key, names.keys(), scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            code = names[best[0]]
            hint = f" (did you mean {country_name(code)}, {code}?)"
    raise InvalidInput(
        f"Unknown country {value!r}{hint}; give an ISO code such as DE or DEU, an English"
        " name such as Germany, or a Chinese name such as 德国."
    )


def country_name(code: str, *, lang: str = "en") -> str:
    """Return the display name of an alpha-2 country code.

    ``lang="en"`` gives the English common name ("Vietnam", "South Korea", "Iran");
    ``lang="zh"`` the short Chinese name sales staff use (美国, 韩国, 阿联酋).
    Raises InvalidInput for an unknown code or language.
    """
    code = code.strip().upper()
    # Accept locale spellings too (zh_CN, zh-Hans, en_GB): only the language matters.
    language = lang.strip().lower()[:2]
    if language not in {"en", "zh"}:
        raise InvalidInput(f"Unknown language {lang!r}; use en or zh.")
    chinese = language == "zh"
    if code in _EXTRA_COUNTRIES:
        _, english, native = _EXTRA_COUNTRIES[code]
        return native if chinese else english
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if country is None:
        raise InvalidInput(f"Unknown country code {code!r}; expected ISO alpha-2 such as DE.")
    common = getattr(country, "common_name", None) or country.name
    if not chinese:
        return _ENGLISH_SHORT_NAMES.get(code, common)
    if code in _CHINESE_SHORT_NAMES:
        return _CHINESE_SHORT_NAMES[code]
    catalogue = _chinese_catalogues().get("zh_CN")
    return catalogue.gettext(common) if catalogue else common


_REGION_MEMBERS: dict[Region, str] = {
    Region.NORTH_AMERICA: "US CA BM GL PM",
    Region.LATIN_AMERICA: """
        MX GT BZ SV HN NI CR PA
        CU JM HT DO PR BS BB TT AG DM GD KN LC VC AI AW BQ CW SX MF BL GP MQ KY TC
        VG VI MS
        AR BO BR CL CO EC GY PY PE SR UY VE GF FK
    """,
    Region.WESTERN_EUROPE: "DE FR NL BE LU AT CH LI MC GB IE GG JE IM",
    Region.NORTHERN_EUROPE: "SE NO DK FI IS FO AX SJ",
    Region.SOUTHERN_EUROPE: "ES PT IT GR MT CY SM VA AD GI HR SI BA RS ME MK AL XK",
    Region.EASTERN_EUROPE: "PL CZ SK HU RO BG UA BY MD RU EE LV LT",
    Region.MIDDLE_EAST: "AE SA QA KW BH OM YE IQ IR JO LB SY IL PS TR",
    Region.AFRICA: """
        DZ EG LY MA TN EH SD SS
        BJ BF CV CI GM GH GN GW LR ML MR NE NG SN SL TG SH
        CM CF TD CG CD GQ GA ST AO
        BI DJ ER ET KE RW SO TZ UG SC KM MG MU RE YT
        BW LS NA ZA SZ MW MZ ZM ZW
    """,
    Region.SOUTH_ASIA: "IN PK BD LK NP BT MV AF",
    Region.SOUTHEAST_ASIA: "VN TH MY SG ID PH MM KH LA BN TL",
    Region.EAST_ASIA: "CN HK MO TW JP KR KP MN",
    Region.CENTRAL_ASIA: "KZ UZ TM KG TJ AM AZ GE",
    Region.OCEANIA: """
        AU NZ CX CC NF
        PG FJ SB VU NC
        FM GU KI MH NR MP PW UM
        AS CK PF NU PN WS TK TO TV WF
    """,
    Region.OTHER: "AQ BV GS HM TF IO",
}

REGION_BY_COUNTRY: dict[str, Region] = {
    code: region for region, members in _REGION_MEMBERS.items() for code in members.split()
}


def region_of(code: str | None) -> Region:
    """Return the market region of an alpha-2 code; None or unknown is Region.OTHER."""
    if not code:
        return Region.OTHER
    return REGION_BY_COUNTRY.get(code.strip().upper(), Region.OTHER)


# --------------------------------------------------------------------------- names


def _fold(text: str) -> str:
    # casefold's output is not always NFKC (it can leave decomposed letters), so
    # normalise again; the keys must be stable when computed from a key. ASCII text
    # is already NFKC and casefolds to its lower case.
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


# In ASCII text the letters and digits are exactly [A-Za-z0-9]; every other
# character (space, punctuation, symbols) separates words.
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


def _tokens(text: str) -> list[str]:
    """Split folded text into words of letters, digits and combining marks.

    Marks are kept because Devanagari, Thai and Arabic words need their vowel signs;
    CJK ideographs are letters, so they survive as words too.
    """
    if text.isascii():
        return _ASCII_WORD.findall(text)
    chars = [ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in text]
    return "".join(chars).split()


def _join_initials(tokens: list[str]) -> list[str]:
    # "S.A." and "s.a.r.l." arrive as runs of one-letter words; glued back they meet
    # the spelling people type without dots ("SA", "SARL", "sp zoo", "A.Ş." → "aş").
    joined: list[str] = []
    run = ""
    for token in tokens:
        if len(token) == 1 and token.isalpha():
            run += token
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(token)
    if run:
        joined.append(run)
    return joined


def _phrases(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(
        tuple(phrase.split()) for phrases in _table(text).values() for phrase in phrases
    )


# Legal forms, as word sequences after folding and _join_initials, dropped from the
# end of a company name while one matches. Generic words (trading, group,
# international, industry, "San. ve Tic.") are deliberately absent: they tell
# companies apart, and the subset score in name_similarity copes with them.
_LEGAL_SUFFIXES = _phrases(
    """
    English: ltd, limited, co, company, corp, corporation, inc, incorporated, plc
    English: llc, llp, lp, lllp, pty, pvt, pte, private, and co, and company
    German: gmbh, mbh, ag, kg, kgaa, ohg, ug, haftungsbeschränkt, ek, eg, ev, gbr
    French: sa, sas, sasu, sarl, eurl, snc, sca, cie, and cie, ltée, ltee
    Spanish: sa, sl, slu, sau, sc, cía, cia, ltda
    Mexican: sa de cv, sab de cv, sapi de cv, s de rl, s de rl de cv
    Italian: srl, srls, spa, sapa, scarl, snc
    Portuguese: lda, ltda, eireli
    Dutch and Belgian: bv, nv, vof, cv, bvba, sprl
    Nordic: ab, publ, as, asa, oy, oyj, aps, hf, ehf
    Polish: sp zoo, spzoo, sp k, spj, sa
    Turkish: aş, şti, sti
    Russian: ooo, zao, oao, pao, pjsc, ojsc, cjsc, jsc, ооо, зао, оао, пао, ао
    Japanese: kk, kabushiki kaisha, kabushikigaisha, yugen kaisha, godo kaisha
    Indonesian and Malaysian: tbk, sdn, bhd, berhad, sendirian berhad
    Gulf (establishment, free-zone forms): est, fze, fzc, fzco, fz
    """
)

# Forms written in front of the name: Indonesian "PT …", Russian "ООО «…»".
_LEGAL_PREFIXES = _phrases(
    """
    Indonesian: pt, cv
    Russian and Ukrainian: ooo, zao, oao, pao, pjsc, ojsc, cjsc, jsc, llc, tov
    Cyrillic: ооо, зао, оао, пао, ао, тов, ип
    Japanese: kabushiki kaisha
    """
)

# Chinese, Japanese and Korean names have no spaces, so these are cut from the end
# (or start) of a word rather than matched as words. Longest first.
_CJK_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "주식회사",
    "유한회사",
    "公司",
)
_CJK_PREFIXES = ("株式会社", "有限会社", "合同会社", "주식회사", "유한회사")
# The bracketed abbreviations (NFKC turns ㈱ and ㈜ into these) lose their brackets
# with the punctuation, so they are spelled out before tokenising.
_CJK_ABBREVIATIONS = {"(株)": " 株式会社 ", "(有)": " 有限会社 ", "(주)": " 주식회사 "}
_LONGEST_PHRASE = max(len(p) for p in _LEGAL_SUFFIXES | _LEGAL_PREFIXES)
# A name can only end in a legal form if its last word ends one (and so on): each
# such word, with the lengths of the forms it ends (or begins).
_SUFFIX_ENDS: dict[str, frozenset[int]] = {
    end: frozenset(len(p) for p in _LEGAL_SUFFIXES if p[-1] == end)
    for end in {phrase[-1] for phrase in _LEGAL_SUFFIXES}
}
_PREFIX_STARTS: dict[str, frozenset[int]] = {
    start: frozenset(len(p) for p in _LEGAL_PREFIXES if p[0] == start)
    for start in {phrase[0] for phrase in _LEGAL_PREFIXES}
}
_NO_SIZES: frozenset[int] = frozenset()


def _strip_legal_forms(tokens: list[str]) -> list[str]:
    # Repeat: "GmbH & Co. KG" is three forms in a row, "Oy Ab" two.
    while tokens:
        stripped = _strip_one_legal_form(tokens)
        if stripped == tokens:
            break
        tokens = stripped
    return tokens


def _strip_one_legal_form(tokens: list[str]) -> list[str]:
    first, last = tokens[0], tokens[-1]
    ends = _SUFFIX_ENDS.get(last, _NO_SIZES)
    starts = _PREFIX_STARTS.get(first, _NO_SIZES)
    if ends or starts:
        # Longest phrase first, so "sa de cv" goes as one form rather than "sa de";
        # only the lengths of the forms the last (first) word ends (begins) are tried.
        for size in range(min(_LONGEST_PHRASE, len(tokens)), 0, -1):
            if size in ends and tuple(tokens[-size:]) in _LEGAL_SUFFIXES:
                return tokens[:-size]
            if size in starts and tuple(tokens[:size]) in _LEGAL_PREFIXES:
                return tokens[size:]
    if first.isascii() and last.isascii():
        return tokens  # the CJK forms below are not ASCII
    for suffix in _CJK_SUFFIXES:
        if last.endswith(suffix):
            return [t for t in [*tokens[:-1], last[: -len(suffix)]] if t]
    for prefix in _CJK_PREFIXES:
        if first.startswith(prefix):
            return [t for t in [first[len(prefix) :], *tokens[1:]] if t]
    return tokens


def _company_key_once(name: str) -> str:
    text = _fold(name).replace("&", " and ")
    if not text.isascii():
        for abbreviation, spelled in _CJK_ABBREVIATIONS.items():
            text = text.replace(abbreviation, spelled)
    tokens = _join_initials(_tokens(text))
    return " ".join(_strip_legal_forms(tokens))


def _fixed_point(step: Callable[[str], str], text: str) -> str:
    # Folding and stripping can expose something new (cutting 有限公司 off "x有限公司"
    # leaves a one-letter word; casefold can yield a new NFKC form), so a key is
    # recomputed until stable: callers compare keys computed at different times.
    key = step(text)
    for _ in range(5):
        again = step(key)
        if again == key:
            break
        key = again
    return key


def company_key(name: str) -> str:
    """Reduce a company name to the key intake compares fuzzily.

    Case, width, punctuation and ``&`` are folded, and legal forms are dropped from
    the end ("Co., Ltd.", "GmbH & Co. KG", "S.A. de C.V.", "Sdn. Bhd.", 有限公司) and
    from the start where they are written there ("PT …", "ООО …", 株式会社…).
    Letters of every script are kept. Never raises; returns "" when nothing but a
    legal form (or nothing at all) was given.
    """
    if name.isascii():
        # One pass is already stable: its words are lower-case [a-z0-9]+ runs with no
        # two one-letter words side by side (_join_initials glued them), and legal
        # forms were stripped until none was left, so a second pass changes nothing.
        return _company_key_once(name)
    return _fixed_point(_company_key_once, name)


_HONORIFICS = frozenset(
    _words("mr mrs ms miss mx dr sir madam madame mme mlle m herr frau sr sra srta")
)
_CJK_HONORIFICS = ("先生", "女士", "小姐")


def person_key(name: str) -> str:
    """Reduce a contact's name to the key intake compares fuzzily.

    Case, width and punctuation are folded and leading honorifics dropped ("Mr.",
    "Dr", "Herr", "Sra.", "M."), as are 先生/女士/小姐 after a Chinese name.
    Never raises; returns "" when only an honorific was given.
    """
    if name.isascii():
        # Stable after one pass, as company_key: lower-case words, honorifics gone.
        return _person_key_once(name)
    return _fixed_point(_person_key_once, name)


def _person_key_once(name: str) -> str:
    tokens = _tokens(_fold(name))
    if tokens:
        for honorific in _CJK_HONORIFICS:
            last = tokens[-1]
            if last.endswith(honorific) and len(last) > len(honorific):
                tokens[-1] = last[: -len(honorific)]
                break
    # Only leading ones: "M" or "Sr" later in a name is an initial or "Senior".
    while tokens and tokens[0] in _HONORIFICS:
        tokens = tokens[1:]
    return " ".join(tokens)


# token_set_ratio scores 100 whenever one key's words are a subset of the other's,
# which is right for "shenzhen foo technology" vs "foo technology" but absurd for
# "a" vs "acme corp". Both keys must be this substantial for the subset score.
_SUBSET_MIN_TOKENS = 2
_SUBSET_MIN_CHARS = 5


def _substantial(key: str) -> bool:
    return len(key.split()) >= _SUBSET_MIN_TOKENS or len(key) >= _SUBSET_MIN_CHARS


_NUMBER = re.compile(r"\d+")


def name_numbers(key: str) -> str:
    """The numbers in a name, sorted ("plant 2 line 10" → "10 2"); "" when none.

    Two names whose numbers both exist and differ never match (name_similarity 0),
    which lets a lookup skip them before scoring.
    """
    found = _NUMBER.findall(key)
    return " ".join(sorted(found)) if found else ""


def names_numbers(keys: Iterable[str]) -> list[str]:
    """name_numbers of each key, worked out in C (an import's chunk of names)."""
    return list(map(" ".join, map(sorted, map(_NUMBER.findall, keys))))


def name_similarity(a: str, b: str) -> float:
    """Score two normalised keys (company_key/person_key output) from 0 to 100.

    The score is the word-order-insensitive ratio (``fuzz.token_sort_ratio``),
    raised to the subset score (``fuzz.token_set_ratio``) when both keys are
    substantial (two words, or five characters) for "contains all the other's words"
    to mean something. Intake treats 90 and above as a plausible match. Some
    figures: "acme"/"acne" 75, "acme"/"acmes" 88.9, "acme trading"/"acme" 50 (one
    short word is too little to call a subset), "global tech"/"global trade" 78.3,
    "jon smith"/"john smith" 94.7, "shenzhen foo technology"/"foo technology" 100.
    CJK keys compare character by character: "深圳市福友科技"/"福友科技" 72.7.
    Numbers must agree: when both names carry numbers and they differ ("Star Trading
    12" / "Star Trading 123", "Plant 2" / "Plant 3") the names are different firms and
    score 0. Symmetric; returns 0.0 when either key is empty.
    """
    if not a.strip() or not b.strip():
        return 0.0
    numbers_a, numbers_b = name_numbers(a), name_numbers(b)
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return 0.0
    score = fuzz.token_sort_ratio(a, b)
    if _substantial(a) and _substantial(b):
        score = max(score, fuzz.token_set_ratio(a, b))
    return float(score)
