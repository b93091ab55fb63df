"""The transcripts Nameko service: entrypoints only."""
from certtrack_shared import health
from certtrack_shared.database import Database
from certtrack_shared.entrypoints import rpc
from certtrack_shared.outbox import Outbox


class TranscriptsService:
    name = "transcripts"

    db = Database()
    outbox = Outbox()

    @rpc
    def health(self):
        return health.check(self.db, self.name).model_dump(mode="json")
