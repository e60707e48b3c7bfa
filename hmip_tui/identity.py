"""Who signed what: each laptop's Ed25519 signing key for each inspector code.

A key is made the first time a code records something on this laptop, kept in the user's data
folder (`keys/`, owner-only), created exclusively and never replaced: a second process racing to
make the same key finds the first one's. History entries are signed in batches with these keys
when they leave the laptop (`store/batches.py`); other laptops pin a code's key the first time
they see it and refuse a different one (`store/team.py`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from functools import cache
from pathlib import Path

from .errors import HmipError

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def check_code(code: str | None, where: str = "inspector code") -> str:
    """An inspector code: letters, digits and . _ - (not first), up to 32 characters."""
    if not isinstance(code, str) or not CODE.match(code):
        shown = repr(code)[:40] if isinstance(code, str) else type(code).__name__
        raise HmipError(f"{where} {shown} is not an inspector code (letters, digits, . _ and -, "
                        "starting with a letter or digit, up to 32 characters)")
    return code


def keys_dir() -> Path:
    if os.environ.get("HMIP_KEYS"):
        return Path(os.environ["HMIP_KEYS"]).expanduser()
    from platformdirs import user_data_path

    return user_data_path("hmip", appauthor=False) / "keys"


def fingerprint(public_raw: bytes) -> str:
    """A short, readable name for a public key: the first 16 hex digits of its SHA-256, grouped."""
    digest = hashlib.sha256(public_raw).hexdigest()[:16].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def _key_file(code: str) -> Path:
    return keys_dir() / f"{check_code(code)}.ed25519"


@cache
def private_key(code: str):
    """This laptop's key for `code`, made now if it has none."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = _key_file(code)
    if not path.exists():
        _create(path, Ed25519PrivateKey.generate().private_bytes_raw())
    try:
        raw = path.read_bytes()
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (OSError, ValueError) as exc:
        raise HmipError(f"{path}: the signing key of {code} cannot be read ({exc}); it is never "
                        "replaced by hmip: move it aside, and the lead re-pins the new key "
                        f"(hmip team rekey {code})") from None


def _create(path: Path, raw: bytes) -> None:
    """Write the key whole under a temporary name, then link it into place: only one process
    ever wins, and nobody reads a half-written key."""
    try:
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(path.parent, 0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            os.write(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: theirs stands
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise HmipError(f"{path.parent}: cannot keep a signing key there ({exc.strerror or exc})") from None


def public_key(code: str) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return private_key(code).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def has_key(code: str) -> bool:
    return _key_file(code).exists()


def sign(code: str, digest: bytes) -> bytes:
    return private_key(code).sign(digest)


def verify(public_raw: bytes, signature: bytes, digest: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, digest)
        return True
    except (InvalidSignature, ValueError):
        return False


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text, length: int | None = None) -> bytes:
    """Decode base64 from a file, strictly; ValueError if it is not what it should be."""
    if not isinstance(text, str):
        raise ValueError("not text")
    raw = base64.b64decode(text, validate=True)
    if length is not None and len(raw) != length:
        raise ValueError(f"expected {length} bytes, found {len(raw)}")
    return raw
