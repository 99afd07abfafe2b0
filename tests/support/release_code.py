#!/usr/bin/env python3
"""Mints a rotating release code from the site secret, as docs/security.md
("Release codes") describes it, written apart from core/release_code.c: the
tests use it to make codes the site service would never hand out (expired,
from the far future) and to check that the format is the documented one.

usage: release_code.py SECRET_FILE TENANT DEVICE EXPIRY   (unix seconds)
"""
import base64
import hashlib
import hmac
import sys


def site_secret(path):
    text = open(path).read().strip().upper().replace("-", "").replace(" ", "")
    if not text.startswith("SR1"):
        sys.exit(f"{path}: not a site secret")
    payload = base64.b32decode(text[3:] + "=")  # 55 characters: 34 bytes
    return payload[:32]


def hkdf_sha256(ikm, info, length):
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()  # RFC 5869, no salt
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def code_key(secret, tenant):
    salt = hashlib.sha256(b"securerelease kdf salt v1\0" + tenant.encode()).digest()[:16]
    kek = hashlib.pbkdf2_hmac("sha256", secret, salt, 600000, 32)
    return hkdf_sha256(kek, b"securerelease release code v1", 32)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    secret_file, tenant, device, expiry = sys.argv[1:]
    key = code_key(site_secret(secret_file), tenant)
    message = b"sr-release-code-v1\0" + device.encode() + b"\0" + expiry.encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:16]
    print(expiry + "." + base64.urlsafe_b64encode(mac).decode().rstrip("="))


main()
