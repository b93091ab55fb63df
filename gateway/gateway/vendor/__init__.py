"""Testing vendors' HTTP way in: POST /api/v1/vendor/events (api.py), checked
with a vendor API key (client.py) and published with confirms (publishers.py).
"""
from __future__ import annotations

import atexit

from flask import Flask

from . import api
from .publishers import VendorPublishers


def install(app: Flask) -> None:
    publishers = VendorPublishers(
        app.config["AMQP_URI"], app.config["RPC_POOL_SIZE"], app.config["RPC_TIMEOUT"])
    app.extensions["vendor_publishers"] = publishers
    atexit.register(publishers.close)
    app.register_blueprint(api.blueprint)
