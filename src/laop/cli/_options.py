"""Option types shared by the commands that take customer fields."""

from typing import Annotated

import typer

Company = Annotated[str | None, typer.Option("--company", help="Company name 公司名.")]
Contact = Annotated[str | None, typer.Option("--contact", help="Contact person 联系人.")]
Emails = Annotated[list[str] | None, typer.Option("--email", help="E-mail (repeatable).")]
Phones = Annotated[
    list[str] | None, typer.Option("--phone", help="Phone, international form best (repeatable).")
]
WhatsApp = Annotated[
    list[str] | None, typer.Option("--whatsapp", help="WhatsApp number (repeatable).")
]
Country = Annotated[
    str | None,
    typer.Option("--country", help="ISO code, English or Chinese name (DE, DEU, Germany, 德国)."),
]
City = Annotated[str | None, typer.Option("--city", help="City 城市.")]
Nature = Annotated[
    str | None,
    typer.Option(
        "--nature",
        help="trader, wholesaler, retailer, importer, distributor, brand, manufacturer, "
        "e-commerce, other.",
    ),
]
Source = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="inquiry, tm, rfq, visitor-marketing, trade-show, old-customer, referral, website, "
        "email, phone, fax, social.",
    ),
]
Strength = Annotated[
    str | None, typer.Option("--strength", help="Size or strength 实力, free text.")
]
Products = Annotated[
    list[str] | None, typer.Option("--product", help="Product of interest (repeatable).")
]
Owner = Annotated[str | None, typer.Option("--owner", help="Salesperson who owns the buyer.")]
Note = Annotated[str | None, typer.Option("--note", help="Notes 备注.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OwnerFilter = Annotated[str | None, typer.Option("--owner", help="Only this user's buyers.")]
Everyone = Annotated[bool, typer.Option("--all", help="Everyone's buyers.")]
