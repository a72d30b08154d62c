#!/usr/bin/env python3
"""Generate fake, valid-looking credentials for rule examples and test corpora.

Every value is random (seeded where asked) and never a real credential. Formats with an
offline checksum or structure (GitHub/npm CRC32-base62 tokens, JWTs, PEM and OpenSSH keys)
are generated so they pass keyguard's validators.

    python3 testdata/tools/fakes.py github ghp_          # one GitHub-style token
    python3 testdata/tools/fakes.py rand 'A-Za-z0-9' 40   # 40 random chars of a class
    python3 testdata/tools/fakes.py jwt | pem RSA | openssh | openssh-encrypted
"""
import base64
import json
import random
import string
import struct
import sys
import zlib

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
CLASSES = {
    "A-Za-z0-9": string.ascii_letters + string.digits,
    "a-z0-9": string.ascii_lowercase + string.digits,
    "A-Z0-9": string.ascii_uppercase + string.digits,
    "a-f0-9": "0123456789abcdef",
    "A-F0-9": "0123456789ABCDEF",
    "base64": string.ascii_letters + string.digits + "+/",
    "base64url": string.ascii_letters + string.digits + "-_",
    "A-Za-z0-9-_": string.ascii_letters + string.digits + "-_",
}


def rng(seed=None):
    return random.Random(seed)


def rand(alphabet, n, r=random):
    chars = CLASSES.get(alphabet, alphabet)
    while True:
        s = "".join(r.choice(chars) for _ in range(n))
        # keep generated values clear of keyguard's placeholder markers
        low = s.lower()
        if not any(m in low for m in ("example", "xxxxx", "fake", "test", "dummy", "123456789", "abcdefghij")):
            return s


def base62(n, width=6):
    s = ""
    while n:
        s = BASE62[n % 62] + s
        n //= 62
    return s.rjust(width, "0")


def checksum_token(prefix, r=random):
    """GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_) token: 30 random + CRC32 base62."""
    body = rand(BASE62, 30, r)
    return prefix + body + base62(zlib.crc32(body.encode()))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt(r=random):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": rand("a-z0-9", 12, r), "iat": r.randint(1600000000, 1800000000)}).encode())
    sig = b64url(bytes(r.getrandbits(8) for _ in range(32)))
    return f"{header}.{payload}.{sig}"


def pem(kind="RSA", r=random, lines=12):
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    body = base64.b64encode(bytes(r.getrandbits(8) for _ in range(48 * lines))).decode()
    rows = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *rows, f"-----END {label}-----"])


def openssh(encrypted=False, r=random):
    def s(b):
        return struct.pack(">I", len(b)) + b
    cipher, kdf = (b"aes256-ctr", b"bcrypt") if encrypted else (b"none", b"none")
    blob = b"openssh-key-v1\0" + s(cipher) + s(kdf) + s(b"" if not encrypted else bytes(24)) + struct.pack(">I", 1)
    blob += s(bytes(r.getrandbits(8) for _ in range(51))) + s(bytes(r.getrandbits(8) for _ in range(160)))
    body = base64.b64encode(blob).decode()
    rows = [body[i:i + 70] for i in range(0, len(body), 70)]
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *rows, "-----END OPENSSH PRIVATE KEY-----"])


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["help"]
    if cmd == "github" or cmd == "checksum":
        print(checksum_token(args[0] if args else "ghp_"))
    elif cmd == "rand":
        print(rand(args[0], int(args[1])))
    elif cmd == "jwt":
        print(jwt())
    elif cmd == "pem":
        print(pem(args[0] if args else "RSA"))
    elif cmd == "openssh":
        print(openssh())
    elif cmd == "openssh-encrypted":
        print(openssh(True))
    else:
        print(__doc__)
