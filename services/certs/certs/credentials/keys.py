"""Each program's signing keys: one current private key, and every retired public key.

A key ring is JSON: `{"program": "cisco", "current": <private JWK>, "retired":
[<public JWK>, ...]}`. It comes from, in this order:

1. the environment, `CREDENTIAL_KEYS_<PROGRAM>` (a Kubernetes Secret's key
   exposed as a variable);
2. a file `<program>.json` in the keys folder (`CREDENTIAL_KEYS_DIR`; a Secret
   mounted as files, or `var/credential-keys/` in development);
3. in development and tests only, a new ring generated into that folder.

Production without a ring is an error, not a fresh key: a key that appears on
its own would sign credentials no one can tell from forgeries after a restart
on another node.

Rotation (`python -m certs.credentials.keys rotate cisco`) makes a new
current key and keeps the old one's public half, so every credential signed
before still verifies; the private half of a retired key is dropped.
Keys are P-256 (ES256): Open Badges 3.0 verifiers all take it, and RFC 9864
deprecates the `EdDSA` name.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
CURVE = "P-256"


class SigningKeysMissing(RuntimeError):
    """Production has no key ring for a program: refuse to invent one."""


class KeyRingInvalid(ValueError):
    """A key ring that is not what `to_json` writes."""


@dataclass(frozen=True)
class KeyRing:
    program: str
    current: ECKey
    retired: tuple[ECKey, ...] = field(default=())

    @property
    def current_id(self) -> str:
        return self.current.kid

    def public_keys(self) -> list[ECKey]:
        """Every key a credential of this program may have been signed with, newest first."""
        return [public(self.current), *self.retired]

    def find(self, key_id: str) -> ECKey | None:
        """The public key with this id, current or retired."""
        return next((key for key in self.public_keys() if key.kid == key_id), None)


def generate() -> ECKey:
    """A new private key whose id is its RFC 7638 thumbprint: unique, and checkable by anyone."""
    key = ECKey.generate_key(CURVE, private=True)
    return ECKey.import_key({**key.as_dict(private=True), "kid": key.thumbprint()})


def public(key: ECKey) -> ECKey:
    return ECKey.import_key(key.as_dict(private=False))


def new_ring(program: str) -> KeyRing:
    return KeyRing(program, generate())


def rotate(ring: KeyRing) -> KeyRing:
    return KeyRing(ring.program, generate(), (public(ring.current), *ring.retired))


def to_json(ring: KeyRing) -> dict:
    return {"program": ring.program, "current": ring.current.as_dict(private=True),
            "retired": [key.as_dict(private=False) for key in ring.retired]}


def from_json(data: Mapping) -> KeyRing:
    try:
        current = ECKey.import_key(dict(data["current"]))
        retired = tuple(public(ECKey.import_key(dict(key))) for key in data.get("retired", ()))
        program = str(data["program"])
    except (KeyError, TypeError, ValueError, JoseError) as error:
        raise KeyRingInvalid(f"not a key ring: {error}") from None
    if not current.is_private or current.as_dict().get("crv") != CURVE or not current.kid:
        raise KeyRingInvalid("the current key must be a private P-256 key with a kid")
    return KeyRing(program, current, retired)


def environment_name(program: str) -> str:
    return "CREDENTIAL_KEYS_" + "".join(c if c.isalnum() else "_" for c in program).upper()


def load(program: str, folder: Path, environ: Mapping[str, str] = os.environ, *,
         generate_missing: bool = False) -> KeyRing:
    """The program's ring from the environment or the folder; a new one only if allowed."""
    text = environ.get(environment_name(program))
    path = folder / f"{program}.json"
    if text is None and path.exists():
        text = path.read_text()
    if text is not None:
        try:
            ring = from_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise KeyRingInvalid(f"{program}: not JSON: {error}") from None
        if ring.program != program:
            raise KeyRingInvalid(f"the key ring for {program} names {ring.program}")
        return ring
    if not generate_missing:
        raise SigningKeysMissing(
            f"no signing keys for {program}: set {environment_name(program)} or put {path.name} "
            f"in {folder} (python -m certs.credentials.keys generate {program})")
    ring = new_ring(program)
    if not _save_first(ring, folder):
        # Another replica generated the program's ring at the same moment: sign with that one,
        # or credentials signed here would not verify against the keys everyone else publishes.
        return load(program, folder, environ)
    return ring


def _save_first(ring: KeyRing, folder: Path) -> bool:
    """Write the ring unless a ring for its program is there already; whether it was written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ring.program}.json"
    partial = folder / f"{ring.program}.json.{os.getpid()}-{os.urandom(4).hex()}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(to_json(ring), file, indent=2)
        os.link(partial, path)  # whole or not at all, and never over another's
        return True
    except FileExistsError:
        return False
    finally:
        partial.unlink(missing_ok=True)


def save(ring: KeyRing, folder: Path) -> Path:
    """Write the ring readable by its owner only; replaced whole, never half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{ring.program}.json"
    partial = path.with_suffix(".json.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(to_json(ring), file, indent=2)
    os.replace(partial, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certs.credentials.keys",
                                     description="Make or rotate a program's credential signing keys.")
    parser.add_argument("action", choices=("generate", "rotate", "show-public"))
    parser.add_argument("program")
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("CREDENTIAL_KEYS_DIR", "var/credential-keys")))
    arguments = parser.parse_args(argv)
    path = arguments.folder / f"{arguments.program}.json"
    if arguments.action == "generate":
        if path.exists():
            print(f"{path} exists; use rotate", file=sys.stderr)
            return 1
        print(save(new_ring(arguments.program), arguments.folder))
    elif arguments.action == "rotate":
        print(save(rotate(load(arguments.program, arguments.folder, {})), arguments.folder))
    else:
        ring = load(arguments.program, arguments.folder, {})
        print(json.dumps({"keys": [key.as_dict() for key in ring.public_keys()]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
