"""Tables owned by the transcripts service."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
