"""Open Badges 3.0 credentials: what CertTrack signs so anyone can check a certification.

Plain building blocks, no database and no broker, the way certs keeps its
PDF and image makers in `documents/`:

- `keys`: each program's signing keys, and the public ones kept after rotation;
- `openbadges`: the issuer profile, the achievement and the credential, as JSON;
- `signing`: a credential as a VC-JWT (compact JWS, ES256) and back;
- `status_list`: the W3C Bitstring Status List that says which are revoked;
- `baking`: a credential hidden in a badge PNG or SVG, and found again;
- `linkedin`: the "Add to profile" link for a certification;
- `verification`: the check of a credential the public hands in.

The handlers decide when to issue, revoke and republish; docs/decisions/0024
says why the pieces are shaped this way.
"""
