"""Verification codes of certificates issued from the gradebook, and their check.

A code is ``SSSS-SSSS-TTTT-TTTT-TTTT-TTTT`` (Crockford base32: no I, L, O, U, so it is easy to read out and type):
8 characters of serial number (random) and 16 of tag, the first 80 bits of HMAC-SHA256 over what the certificate
says (course, student id, name, date, each lab's questions and points) keyed with a secret that only the
instructor's course folder holds (``certificates/secret.key``, readable by its owner only). The course folder also
keeps a register (``certificates/issued.jsonl``) of what each serial certified, so ``graders certificate verify CODE``
can say what a code vouches for:

* a learner cannot make a valid code: without the secret, a tag is a guess in 2**80;
* a certificate whose text was edited still has its code: verify shows what was really certified;
* a register entry edited afterwards no longer matches its own tag and is reported as altered.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .record import M_, PortfolioError, Record

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_CHARS = 8
TAG_CHARS = 16
FOLDER = "certificates"
SECRET_FILE = "secret.key"
REGISTER_FILE = "issued.jsonl"

MALFORMED = M_("certificate.error.malformed", "“{code}” is not a certificate code. A code has 24 letters and digits in six groups, like 7K2M-Q9XD-…; check that it was copied completely.")
NO_SECRET = M_("certificate.error.no_secret", "This course folder ({folder}) has not issued any certificates, so it cannot check one. Give the course folder that issued it with --course-dir FOLDER.")


def encode(data: bytes, chars: int) -> str:
    number = int.from_bytes(data, "big")
    out = []
    for _ in range(chars):
        out.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(reversed(out))


def canonical(fields: dict) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def compute_tag(secret: bytes, serial: str, fields: dict) -> str:
    mac = hmac.new(secret, serial.encode("ascii") + b"\n" + canonical(fields), hashlib.sha256).digest()
    return encode(mac[:10], TAG_CHARS)


def format_code(serial: str, tag: str) -> str:
    raw = serial + tag
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def parse_code(text: str) -> tuple[str, str]:
    """(serial, tag) of a code as a person typed it: any case, spaces or dashes, O for 0 and I or L for 1."""
    cleaned = "".join(ch for ch in str(text).upper() if ch not in " -_\t\n")
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != SERIAL_CHARS + TAG_CHARS or any(ch not in ALPHABET for ch in cleaned):
        shown = str(text).strip()[:60]
        raise PortfolioError(MALFORMED, code=shown)
    return cleaned[:SERIAL_CHARS], cleaned[SERIAL_CHARS:]


@dataclass
class Verdict:
    status: str                  # valid | unknown | altered | forged
    code: str
    record: Record | None = None


class CertificateBook:
    """The certificates a course folder issued: its secret and its register."""

    def __init__(self, course_root: Path):
        self.root = Path(course_root)
        self.folder = self.root / FOLDER

    @property
    def secret_path(self) -> Path:
        return self.folder / SECRET_FILE

    @property
    def register_path(self) -> Path:
        return self.folder / REGISTER_FILE

    def _secret(self, create: bool) -> bytes:
        if not self.secret_path.is_file():
            if not create:
                raise PortfolioError(NO_SECRET, folder=self.root)
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # made at the same moment by another issue: use that one
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32) + "\n")
        return bytes.fromhex(self.secret_path.read_text().strip())

    def issue(self, record: Record) -> str:
        """Sign the record, keep it in the register, and return its code (also set on the record)."""
        secret = self._secret(create=True)
        serial = encode(secrets.token_bytes(5), SERIAL_CHARS)
        tag = compute_tag(secret, serial, record.signed_fields())
        record.code = format_code(serial, tag)
        entry = {"serial": serial, "tag": tag, "record": record.to_json()}
        with self.register_path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return record.code

    def entries(self) -> dict[str, dict]:
        out = {}
        if self.register_path.is_file():
            for line in self.register_path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    out[entry["serial"]] = entry
                except (ValueError, KeyError, TypeError):
                    continue  # a damaged line vouches for nothing
        return out

    def verify(self, code: str) -> Verdict:
        serial, tag = parse_code(code)
        secret = self._secret(create=False)
        shown = format_code(serial, tag)
        entry = self.entries().get(serial)
        if entry is None:
            return Verdict("unknown", shown)
        try:
            record = Record.from_json(entry["record"])
        except (KeyError, TypeError):
            return Verdict("altered", shown)
        expected = compute_tag(secret, serial, record.signed_fields())
        if not hmac.compare_digest(expected, str(entry.get("tag", ""))):
            return Verdict("altered", shown, record)       # the register entry was changed after issue
        if not hmac.compare_digest(expected, tag):
            return Verdict("forged", shown, record)        # a real serial with a made-up (or mistyped) tag
        return Verdict("valid", shown, record)
