"""Tables owned by the fulfillment service."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
