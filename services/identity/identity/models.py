"""Tables owned by the identity service."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
