"""Sealing a bundle for transit: a passphrase, a memory-hard key, authenticated encryption.

The sealed file is a small JSON envelope, `hmip-bundle-sealed/1`: scrypt (n=2^15, r=8, p=1:
about 32 MiB and a tenth of a second per try, which makes guessing slow) derives a 256-bit key
from the passphrase and a random salt; AES-256-GCM encrypts the bundle with a random nonce and
authenticates both the ciphertext and the envelope's header. A wrong passphrase and a changed
byte fail the same check, so neither tells an attacker anything.
"""

from __future__ import annotations

import base64
import json
import os

from ..errors import HmipError

FORMAT = "hmip-bundle-sealed/1"
KDF = {"name": "scrypt", "n": 2**15, "r": 8, "p": 1}


def _key(passphrase: str, salt: bytes, kdf: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(passphrase.encode("utf-8"))


def _header(kdf: dict, salt: bytes, nonce: bytes) -> dict:
    return {"format": FORMAT, "kdf": {**kdf, "salt": base64.b64encode(salt).decode()},
            "cipher": "AES-256-GCM", "nonce": base64.b64encode(nonce).decode()}


def seal(plaintext: bytes, passphrase: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(passphrase) < 8:
        raise HmipError("the passphrase is too short: use at least 8 characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _header(KDF, salt, nonce)
    aad = json.dumps(header, sort_keys=True).encode()
    ciphertext = AESGCM(_key(passphrase, salt, KDF)).encrypt(nonce, plaintext, aad)
    return (json.dumps({**header, "ciphertext": base64.b64encode(ciphertext).decode()}, indent=1)
            + "\n").encode()


def is_sealed(data) -> bool:
    return isinstance(data, dict) and data.get("format") == FORMAT


def unseal(envelope: dict, passphrase: str, source) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        kdf = envelope["kdf"]
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(envelope["nonce"], validate=True)
        ciphertext = base64.b64decode(envelope["ciphertext"], validate=True)
        params = {"name": kdf["name"], "n": kdf["n"], "r": kdf["r"], "p": kdf["p"]}
        if params["name"] != "scrypt" or envelope.get("cipher") != "AES-256-GCM":
            raise ValueError("unknown kdf or cipher")
        # Exactly what seal() writes, compared as JSON values: true is not 1, 32768.0 is not
        # 32768. A file may not choose its own cost: n=2^20, r=16, p=4 would take 26 s and
        # 2 GB of memory before we could say "wrong passphrase".
        if any(type(params[k]) is not int or params[k] != KDF[k] for k in ("n", "r", "p")):
            raise ValueError(f"key derivation settings other than hmip's own "
                             f"(n={KDF['n']}, r={KDF['r']}, p={KDF['p']})")
        if len(salt) != 16 or len(nonce) != 12:
            raise ValueError("salt or nonce of the wrong length")
    except KeyError as exc:
        raise HmipError(f"{source}: a sealed bundle whose envelope is damaged (it lacks {exc}); "
                        "nothing was imported") from None
    except TypeError:
        raise HmipError(f"{source}: a sealed bundle whose envelope is damaged (a field is not of the "
                        "kind hmip writes); nothing was imported") from None
    except ValueError as exc:
        raise HmipError(f"{source}: a sealed bundle whose envelope is damaged ({exc}); nothing was imported") from None
    aad = json.dumps(_header(params, salt, nonce), sort_keys=True).encode()
    try:
        return AESGCM(_key(passphrase, salt, params)).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise HmipError(f"{source}: wrong passphrase, or the file was changed after it was sealed; "
                        "nothing was imported") from None
