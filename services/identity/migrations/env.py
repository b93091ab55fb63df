from alembic import context

from certtrack_shared.migrations import run_env
from identity.models import Base

run_env(context, Base.metadata, "identity")
