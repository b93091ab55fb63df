"""The plain rules, without a broker: addresses per country, status order. (Cards are the payment
sandbox's to judge: tests/test_payment_sandbox.py.)"""
from __future__ import annotations

import pytest

from fulfillment.handlers.addresses import validate_ship_to
from fulfillment.exceptions import InvalidOrder
from fulfillment.handlers.shipments import moves_forward

BASE = {"name": "A Person", "line1": "1 Street", "city": "Town"}


@pytest.mark.parametrize("country, region, postal, normalized", [
    ("US", "CA", "95134-1706", "95134-1706"), ("US", "California", "95134", "95134"),
    ("CA", "ON", "k1a0b1", "K1A 0B1"), ("GB", None, "sw1a1aa", "SW1A 1AA"), ("DE", None, "10115", "10115"),
    ("FR", None, "75008", "75008"), ("JP", None, "100-0001", "100-0001"), ("IN", None, "110001", "110001"),
    ("AU", "NSW", "2000", "2000"), ("NL", None, "1012ab", "1012 AB"), ("BE", None, "1000", "1000"),
    ("IE", None, None, None),  # no postal code needed where we know no format
])
def test_valid_addresses_are_normalized(country, region, postal, normalized):
    address = validate_ship_to({**BASE, "country": country.lower(), "region": region, "postal_code": postal})
    assert address["country"] == country and address["postal_code"] == normalized
    if region:
        assert len(address["region"]) <= 3  # the short code the warehouse prints


@pytest.mark.parametrize("country, region, postal, field", [
    ("US", None, "95134", "ship_to.region"), ("US", "XX", "95134", "ship_to.region"),
    ("US", "CA", "951", "ship_to.postal_code"), ("CA", "ON", "12345", "ship_to.postal_code"),
    ("AU", None, "2000", "ship_to.region"), ("DE", None, "1011", "ship_to.postal_code"),
    ("IN", None, "011001", "ship_to.postal_code"), ("JP", None, None, "ship_to.postal_code"),
    ("ZZ", None, "1", "ship_to.country"), ("BE", None, "#", "ship_to.postal_code"),
])
def test_invalid_addresses_name_the_field(country, region, postal, field):
    with pytest.raises(InvalidOrder) as refused:
        validate_ship_to({**BASE, "country": country, "region": region, "postal_code": postal})
    assert field in refused.value.fields


def test_status_only_moves_forward():
    assert moves_forward("placed", "shipped") and moves_forward("shipped", "delivered")
    assert not moves_forward("delivered", "shipped") and not moves_forward("shipped", "rejected")
    # Closing freed the kit and made the refund due: only staff move a cancelled or rejected order.
    assert not moves_forward("cancelled", "shipped") and not moves_forward("cancelled", "delivered")
    assert not moves_forward("rejected", "shipped") and not moves_forward("cancelled", "rejected")
