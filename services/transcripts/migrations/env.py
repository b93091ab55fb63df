from alembic import context

from certtrack_shared.migrations import run_env
from transcripts.models import Base

run_env(context, Base.metadata, "transcripts")
