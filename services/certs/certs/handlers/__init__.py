"""The rules behind each entrypoint of `service.py`, one module per capability.

Plain functions taking their dependencies (session, outbox, catalogs,
clock) as arguments:

- `intake`: the consumed events (results, revocations, candidates) stored as facts
- `standings`: evaluate a candidate, diff against the published standings, announce
- `overview`: what a candidate's pages read
- `continuing_education`: submitting CE activities and their staff review
- `agreements`: the versioned certification agreement and its acceptance
- `downloads`: logos and PDF certificates
- `certificate_page`: a certification's public page, by its certificate code
- `credentials`: digital badges (Open Badges 3.0) issued, revoked, downloaded and checked
- `daily`: expiry and reminders
- `staff_catalog`: the catalog as staff see it, and its reload
- `numbering`: CCIE/CCDE expert numbers
"""
