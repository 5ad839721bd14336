"""A buyer's e-mails, phones and products of interest."""

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

# The tables its foreign keys name are loaded with it.
from laop.models import customer  # noqa: F401
from laop.models.base import StoreModel

__all__ = ["CustomerContact", "CustomerProduct"]


class CustomerContact(StoreModel, table=True):
    """One e-mail address or phone number of a buyer, normalised for exact lookup."""

    __tablename__ = "customer_contact"
    __table_args__ = (
        UniqueConstraint("customer_id", "kind", "value"),
        Index("ix_customer_contact_value", "kind", "value"),
        Index("ix_customer_contact_domain", "domain"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")  # led by the unique constraint
    kind: str = Field(max_length=8)  # "email" or "phone"
    value: str = Field(max_length=254)
    # Company e-mail domain; None for phones and free-mail addresses.
    domain: str | None = Field(default=None, max_length=254)
    whatsapp: bool = False
    position: int = 0


class CustomerProduct(StoreModel, table=True):
    __tablename__ = "customer_product"
    __table_args__ = (UniqueConstraint("customer_id", "product"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")  # led by the unique constraint
    product: str = Field(max_length=200, index=True)
    position: int = 0
