"""Fulfillment: kits, orders, payments, the warehouse exchange."""
