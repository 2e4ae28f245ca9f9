#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A second implementation of idguard's token contract (docs/tokens.md,
"The token contract"), written from the specifications and not from the C
code: PASETO v4.public verification (PAE, unpadded base64url, Ed25519 with
PyNaCl), the PASERK k4.pid key id, and the CBOR layouts of request codes,
tokens and declines, read with a small CBOR reader of its own. The
integration tests use it to check that what idguardctl writes is what the
contract says, and to make the codes they need (an old "idgreq1." code, a
redated one).

  paseto_check.py verify --public-key FILE_OR_PASERK [--implicit TEXT] TEXT
      Verifies a token or decline; prints what it holds as JSON. Exit 1,
      with the reason on stderr, when it does not verify.
  paseto_check.py request CODE
      Prints an "idgreq2." or "idgreq1." request code as JSON.
  paseto_check.py request-v1 CODE
      The same request as an "idgreq1." (JSON) code.
  paseto_check.py redate-request CODE SECONDS
      The same request, made SECONDS ago (negative: in the future), in the
      form it was given in.
"""
import argparse
import base64
import binascii
import datetime
import hashlib
import json
import re
import struct
import sys

import nacl.exceptions
import nacl.signing

B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
CLASSES = ["scanner", "camera", "card-reader", "printer", "storage", "unclassified", "other"]  # bits 1..7
MAX_TOKEN = 8192


class Refused(Exception):
    pass


# ---- base64url and PASERK --------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url, one spelling only (PASETO: no padding, and the
    unused bits of the last character zero)."""
    if not B64URL.match(text) or len(text) % 4 == 1:
        raise Refused("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise Refused("not the canonical base64url spelling")
    return data


def public_key(text: str) -> bytes:
    if not text.startswith("k4.public."):
        text = open(text).read().strip()
    if not text.startswith("k4.public."):
        raise Refused("not a k4.public key")
    key = b64url_decode(text[len("k4.public."):])
    if len(key) != 32:
        raise Refused("a k4.public key has 32 bytes")
    return key


def key_id(pk: bytes) -> str:
    """PASERK k4.pid: BLAKE2b-264 of "k4.pid." and the k4.public string."""
    digest = hashlib.blake2b(b"k4.pid." + ("k4.public." + b64url_encode(pk)).encode(), digest_size=33).digest()
    return "k4.pid." + b64url_encode(digest)


# ---- PASETO v4.public ------------------------------------------------------------------


def le64(n: int) -> bytes:
    return struct.pack("<Q", n & ((1 << 63) - 1))


def pae(*pieces: bytes) -> bytes:
    out = le64(len(pieces))
    for piece in pieces:
        out += le64(len(piece)) + piece
    return out


def verify(pk: bytes, token: str, implicit: bytes = b"") -> tuple:
    """PASETO v4.public Verify: (payload, footer) or Refused."""
    header = "v4.public."
    if len(token) > MAX_TOKEN:
        raise Refused("longer than 8192 bytes")
    if not token.startswith(header):
        raise Refused("not a v4.public token")
    parts = token[len(header):].split(".")
    if len(parts) > 2:
        raise Refused("more than one footer")
    body = b64url_decode(parts[0])
    footer = b64url_decode(parts[1]) if len(parts) == 2 else b""
    if len(parts) == 2 and not footer:
        raise Refused("an empty footer part")
    if len(body) < 64:
        raise Refused("too short")
    payload, signature = body[:-64], body[-64:]
    try:
        nacl.signing.VerifyKey(pk).verify(pae(header.encode(), payload, footer, implicit), signature)
    except nacl.exceptions.BadSignatureError:
        raise Refused("signature does not verify") from None
    return payload, footer


# ---- CBOR (RFC 8949), the part the layouts use -------------------------------------------


class Reader:
    """Unsigned integers, byte and text strings, definite arrays; nothing
    else is in the layouts, so anything else is refused."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise Refused("CBOR cut short")
        piece = self.data[self.pos:self.pos + n]
        self.pos += n
        return piece

    def head(self) -> tuple:
        first = self.take(1)[0]
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info
        if info in (24, 25, 26, 27):
            return major, int.from_bytes(self.take(1 << (info - 24)), "big")
        raise Refused(f"CBOR item 0x{first:02x}: indefinite length or reserved")

    def item(self):
        major, arg = self.head()
        if major == 0:
            return arg
        if major == 2:
            return self.take(arg)
        if major == 3:
            return self.take(arg).decode("utf-8")  # strict: raises on bad UTF-8
        if major == 4:
            return [self.item() for _ in range(arg)]
        raise Refused(f"CBOR major type {major} is not in the layouts")

    def whole(self):
        value = self.item()
        if self.pos != len(self.data):
            raise Refused("bytes after the CBOR item")
        return value


def cbor_head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor_encode(value) -> bytes:
    if isinstance(value, int):
        return cbor_head(0, value)
    if isinstance(value, bytes):
        return cbor_head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return cbor_head(3, len(raw)) + raw
    return cbor_head(4, len(value)) + b"".join(cbor_encode(v) for v in value)


# ---- the layouts -------------------------------------------------------------------------

REQUEST = ["v", "rid", "sub", "host", "hostname", "pur", "ref", "cls", "min", "iat"]
TOKEN = ["v", "jti", "sub", "host", "pur", "ref", "rid", "cls", "iat", "nbf", "exp", "kid"]
DECLINE = ["v", "rid", "sub", "host", "reason", "iat", "kid"]
SIZES = {"rid": 8, "jti": 16, "host": 16, "kid": 33}


def named(layout: list, items) -> dict:
    if not isinstance(items, list) or len(items) != len(layout) or items[0] != 2:
        raise Refused(f"not a version 2 array of {len(layout)} items")
    out = {}
    for name, value in zip(layout, items):
        if name in SIZES:
            if not isinstance(value, bytes) or len(value) != SIZES[name]:
                raise Refused(f"{name} is not {SIZES[name]} bytes")
            value = "k4.pid." + b64url_encode(value) if name == "kid" else value.hex()
        elif isinstance(value, bytes):
            raise Refused(f"{name} is a byte string")
        out[name] = value
    return out


def class_names(mask: int) -> list:
    return [name for bit, name in enumerate(CLASSES, start=1) if mask & (1 << bit)]


def class_mask(names: list) -> int:
    return sum(1 << (CLASSES.index(name) + 1) for name in names)


def rfc3339(t: int) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(text: str) -> int:
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())


def read_request(code: str) -> dict:
    if code.startswith("idgreq2."):
        req = named(REQUEST, Reader(b64url_decode(code[8:])).whole())
        req["form"] = "cbor"
    elif code.startswith("idgreq1."):
        req = json.loads(b64url_decode(code[8:]))
        req["cls"], req["iat"] = class_mask(req["cls"]), unix(req["iat"])
        req["form"] = "json"
    else:
        raise Refused("not a request code")
    req["classes"] = class_names(req["cls"])
    return req


def write_request(req: dict, form: str) -> str:
    if form == "cbor":
        items = [2, bytes.fromhex(req["rid"]), req["sub"], bytes.fromhex(req["host"]), req["hostname"], req["pur"],
                 req["ref"], req["cls"], req["min"], req["iat"]]
        return "idgreq2." + b64url_encode(cbor_encode(items))
    obj = {"v": 1, "rid": req["rid"], "sub": req["sub"], "host": req["host"], "hostname": req["hostname"],
           "pur": req["pur"], "ref": req["ref"], "cls": class_names(req["cls"]), "min": req["min"],
           "iat": rfc3339(req["iat"])}
    return "idgreq1." + b64url_encode(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def read_answer(pk: bytes, text: str, implicit: str) -> dict:
    payload, footer = verify(pk, text, implicit.encode())
    if payload[:1] == b"{":
        claims = json.loads(payload)
        out = {"form": "json", "claims": claims, "footer": json.loads(footer)}
        out["kid_matches"] = out["footer"].get("kid") == key_id(pk)
        return out
    if footer:
        raise Refused("a binary token or decline has no footer")
    items = Reader(payload).whole()
    layout = DECLINE if isinstance(items, list) and len(items) == len(DECLINE) else TOKEN
    claims = named(layout, items)
    if "cls" in claims:
        claims["classes"] = class_names(claims["cls"])
    return {"form": "cbor", "kind": "decline" if layout is DECLINE else "token", "claims": claims,
            "kid_matches": claims["kid"] == key_id(pk), "payload_bytes": len(payload)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("verify")
    p.add_argument("--public-key", required=True)
    p.add_argument("--implicit", default="")
    p.add_argument("text")
    sub.add_parser("request").add_argument("code")
    sub.add_parser("request-v1").add_argument("code")
    p = sub.add_parser("redate-request")
    p.add_argument("code")
    p.add_argument("seconds", type=int)
    args = parser.parse_args()
    try:
        if args.command == "verify":
            print(json.dumps(read_answer(public_key(args.public_key), args.text.strip(), args.implicit)))
        elif args.command == "request":
            print(json.dumps(read_request(args.code.strip()), ensure_ascii=False))
        elif args.command == "request-v1":
            print(write_request(read_request(args.code.strip()), "json"))
        else:
            req = read_request(args.code.strip())
            now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
            req["iat"] = now - args.seconds
            print(write_request(req, req["form"]))
    except (Refused, ValueError, KeyError, UnicodeDecodeError, binascii.Error) as e:
        print(f"paseto_check.py: refused: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
