"""Tables owned by the exams service."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
