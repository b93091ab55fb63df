from alembic import context

from certtrack_shared.migrations import run_env
from fulfillment.models import Base

run_env(context, Base.metadata, "fulfillment")
