"""Tables owned by the certs service."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
