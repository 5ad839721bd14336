"""laop: a terminal CRM for sales teams on Alibaba.com International Station."""

__all__ = ["__version__"]

__version__ = "0.1.0"
