"""Certs: catalog, rules, status, recertification, continuing education, logos, certificates, badges."""
