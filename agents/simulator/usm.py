"""SNMPv3 User-based Security Model (RFC 3414) for the simulated printers, hand-written on the BER codec.

Each printer is its own authoritative engine (snmpEngineID from its MAC, engine boots = its reboots), so an
agent has to discover each engine, as with real printers. Supported: noAuthNoPriv, authNoPriv and authPriv
with HMAC-MD5-96 / HMAC-SHA-96 and CBC-DES / CFB128-AES-128 (RFC 3826). A message that claims
authentication must carry a 12-octet digest that matches: an empty or short digest is rejected with
usmStatsWrongDigests (pysnmp 7.1.27 accepted empty digests, pysnmp#249: the agents' tests need a responder
that does not).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import struct
import time
from functools import cache

from . import ber
from .responder import SimulatorError, answer_pdu
from .scenario import UsmUser

try:  # privacy (DES/AES) needs `cryptography`; authentication alone does not
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # pragma: no cover - the project installs it; a bare agents install may not
    Cipher = algorithms = modes = None
if Cipher is not None:
    try:  # cryptography >= 43 moved DES (TripleDES) and CFB to "decrepit"
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:  # pragma: no cover - older cryptography
        TripleDES = algorithms.TripleDES
    try:
        from cryptography.hazmat.decrepit.ciphers.modes import CFB
    except ImportError:  # pragma: no cover - older cryptography
        CFB = modes.CFB

FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE = 0x01, 0x02, 0x04
USM_SECURITY_MODEL = 3
TIME_WINDOW = 150
DIGEST_LENGTH = 12
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
UNSUPPORTED_SEC_LEVELS, NOT_IN_TIME_WINDOWS, UNKNOWN_USER_NAMES = USM_STATS + (1, 0), USM_STATS + (2, 0), USM_STATS + (3, 0)
UNKNOWN_ENGINE_IDS, WRONG_DIGESTS, DECRYPTION_ERRORS = USM_STATS + (4, 0), USM_STATS + (5, 0), USM_STATS + (6, 0)
AUTHORIZATION_ERROR = 16
HASHES = {"MD5": hashlib.md5, "SHA": hashlib.sha1}


@cache
def password_to_key(passphrase: str, auth: str) -> bytes:
    """RFC 3414 A.2: hash of the passphrase repeated to 1 MB (cached: it costs a few milliseconds)."""
    password = passphrase.encode("utf-8")
    stream = (password * (1_048_576 // len(password) + 1))[:1_048_576]
    return HASHES[auth](stream).digest()


def localize(key: bytes, engine_id: bytes, auth: str) -> bytes:
    """RFC 3414 A.2.2: the user's key for one authoritative engine."""
    return HASHES[auth](key + engine_id + key).digest()


class Usm:
    """Answers SNMPv3 messages for every printer of a fleet."""

    def __init__(self, users: list[UsmUser]):
        if Cipher is None and any(u.priv != "none" for u in users):
            raise SimulatorError("SNMPv3 privacy (DES/AES) needs the `cryptography` package: pip install cryptography")
        self.users = {u.name.encode("utf-8"): u for u in users}
        self.stats = dict.fromkeys(("unknown_engine", "unknown_user", "wrong_digest", "time_window",
                                    "unsupported_level", "decryption", "answered"), 0)
        self._keys: dict[tuple[bytes, bytes], tuple[bytes, bytes]] = {}
        self._engine_start: dict[int, tuple[int, float]] = {}
        self._salt = int.from_bytes(os.urandom(8), "big")

    # ------------------------------------------------------------------------------------------ engine
    def engine_time(self, printer) -> int:
        """snmpEngineTime: real seconds since the engine's boots last changed (the simulated clock may stand
        still, while a client's time-window estimate moves with real time)."""
        boots, started = self._engine_start.get(printer.index, (None, 0.0))
        if boots != printer.engine_boots:
            started = time.monotonic()
            self._engine_start[printer.index] = (printer.engine_boots, started)
        return int(time.monotonic() - started)

    def keys(self, user: UsmUser, engine_id: bytes) -> tuple[bytes, bytes]:
        """(auth key, priv key) localized to one printer."""
        cached = self._keys.get((user.name.encode(), engine_id))
        if cached is None:
            auth_key = priv_key = b""
            if user.auth != "none":
                auth_key = localize(password_to_key(user.auth_key, user.auth), engine_id, user.auth)
            if user.priv != "none":
                priv_key = localize(password_to_key(user.priv_key, user.auth), engine_id, user.auth)
            cached = self._keys[(user.name.encode(), engine_id)] = (auth_key, priv_key)
        return cached

    def _next_salt(self) -> bytes:
        self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
        return self._salt.to_bytes(8, "big")

    # ------------------------------------------------------------------------------------------ handling
    def handle(self, data: bytes, printer) -> bytes | None:
        """The reply to one v3 message (a Response or a Report), or None to stay silent."""
        try:
            msg = self._parse(data)
        except (ber.BerError, ValueError, IndexError):
            return None
        if msg["model"] != USM_SECURITY_MODEL:
            return None
        engine_id = printer.engine_id
        reportable = bool(msg["flags"] & FLAG_REPORTABLE)
        level = msg["flags"] & (FLAG_AUTH | FLAG_PRIV)
        if level == FLAG_PRIV:          # priv without auth is invalid (RFC 3412 7.2 step 5)
            return None
        if msg["engine_id"] != engine_id:
            self.stats["unknown_engine"] += 1
            return self._report(msg, printer, UNKNOWN_ENGINE_IDS, self.stats["unknown_engine"], None) \
                if reportable else None
        user = self.users.get(msg["user"])
        if user is None:
            self.stats["unknown_user"] += 1
            return self._report(msg, printer, UNKNOWN_USER_NAMES, self.stats["unknown_user"], None) \
                if reportable else None
        user_level = (FLAG_AUTH if user.auth != "none" else 0) | (FLAG_PRIV if user.priv != "none" else 0)
        if level & ~user_level:
            self.stats["unsupported_level"] += 1
            return self._report(msg, printer, UNSUPPORTED_SEC_LEVELS, self.stats["unsupported_level"], None) \
                if reportable else None
        auth_key, priv_key = self.keys(user, engine_id)
        if level & FLAG_AUTH:
            if not self._authentic(data, msg, user, auth_key):
                self.stats["wrong_digest"] += 1
                return self._report(msg, printer, WRONG_DIGESTS, self.stats["wrong_digest"], None) \
                    if reportable else None
            if msg["boots"] != printer.engine_boots or abs(msg["time"] - self.engine_time(printer)) > TIME_WINDOW:
                self.stats["time_window"] += 1
                return self._report(msg, printer, NOT_IN_TIME_WINDOWS, self.stats["time_window"],
                                    (user, auth_key, b"")) if reportable else None
        scoped = msg["scoped"]
        if level & FLAG_PRIV:
            try:
                scoped = self._decrypt(user, priv_key, msg)
                ber.expect(scoped, 0, ber.SEQUENCE)
            except (ValueError, ber.BerError):
                self.stats["decryption"] += 1
                return self._report(msg, printer, DECRYPTION_ERRORS, self.stats["decryption"], None) \
                    if reportable else None
        try:
            context_engine, context_name, pdu = self._scoped(scoped)
            tag, request_id, field2, field3, oids, _ = ber.decode_pdu(pdu, 0)
        except ber.BerError:
            return None
        if tag not in (ber.GET, ber.GETNEXT, ber.GETBULK, ber.SET):
            return None
        if level != user_level:         # VACM: the user's views need its configured security level
            response = ber.encode_pdu(ber.RESPONSE, request_id, AUTHORIZATION_ERROR, 1,
                                      (ber.encode_varbind(o, b"\x05\x00") for o in oids))
        else:
            # the reply must fit the requester's msgMaxSize, less the v3 header, USM fields and DES padding
            limit = max(484, min(msg["max_size"], 65507)) - 160 - len(msg["user"]) - len(context_name)
            response = answer_pdu(printer.compiled(), 1, tag, request_id, field2, field3, oids, limit)
        self.stats["answered"] += 1
        scoped_out = ber.tlv(ber.SEQUENCE, ber.encode_octets(context_engine) + ber.encode_octets(context_name)
                             + response)
        return self._message(msg, printer, level, user, auth_key, priv_key, scoped_out)

    # ------------------------------------------------------------------------------------------ parsing
    @staticmethod
    def _parse(data: bytes) -> dict:
        start, end = ber.expect(data, 0, ber.SEQUENCE)
        _version, pos = ber.decode_int(data, start)
        g_start, g_end = ber.expect(data, pos, ber.SEQUENCE)
        msg_id, p = ber.decode_int(data, g_start)
        max_size, p = ber.decode_int(data, p)
        flags, p = ber.decode_octets(data, p)
        model, p = ber.decode_int(data, p)
        sp_start, sp_end = ber.expect(data, g_end, ber.OCTET_STRING)
        s_start, _s_end = ber.expect(data, sp_start, ber.SEQUENCE)
        engine_id, q = ber.decode_octets(data, s_start)
        boots, q = ber.decode_int(data, q)
        engine_time, q = ber.decode_int(data, q)
        user, q = ber.decode_octets(data, q)
        a_start, a_end = ber.expect(data, q, ber.OCTET_STRING)
        priv_params, q = ber.decode_octets(data, a_end)
        tag, d_start, d_end = ber.read_tlv(data, sp_end)
        if tag == ber.SEQUENCE:
            scoped = data[sp_end:d_end]
        elif tag == ber.OCTET_STRING:
            scoped = data[d_start:d_end]
        else:
            raise ber.BerError("bad msgData")
        return {"msg_id": msg_id, "max_size": max_size, "flags": flags[0] if flags else 0, "model": model,
                "engine_id": engine_id, "boots": boots, "time": engine_time, "user": user,
                "auth_start": a_start, "auth_end": a_end, "priv": priv_params, "scoped": scoped,
                "encrypted": tag == ber.OCTET_STRING}

    @staticmethod
    def _scoped(scoped: bytes) -> tuple[bytes, bytes, bytes]:
        start, end = ber.expect(scoped, 0, ber.SEQUENCE)
        context_engine, p = ber.decode_octets(scoped, start)
        context_name, p = ber.decode_octets(scoped, p)
        return context_engine, context_name, scoped[p:end]

    # ------------------------------------------------------------------------------------------ crypto
    @staticmethod
    def _authentic(data: bytes, msg: dict, user: UsmUser, auth_key: bytes) -> bool:
        """HMAC-96 over the whole message with the digest field zeroed; a missing/short digest fails."""
        start, end = msg["auth_start"], msg["auth_end"]
        if end - start != DIGEST_LENGTH:
            return False
        zeroed = data[:start] + b"\x00" * DIGEST_LENGTH + data[end:]
        expected = hmac.new(auth_key, zeroed, HASHES[user.auth]).digest()[:DIGEST_LENGTH]
        return hmac.compare_digest(expected, data[start:end])

    @staticmethod
    def _decrypt(user: UsmUser, priv_key: bytes, msg: dict) -> bytes:
        salt, encrypted = msg["priv"], msg["scoped"]
        if not msg["encrypted"] or len(salt) != 8:
            raise ValueError("no privParams")
        if user.priv == "DES":
            if len(encrypted) % 8:
                raise ValueError("DES data not a multiple of 8")
            iv = bytes(a ^ b for a, b in zip(priv_key[8:16], salt, strict=True))
            decryptor = Cipher(TripleDES(priv_key[:8] * 3), modes.CBC(iv)).decryptor()
        else:
            iv = struct.pack(">II", msg["boots"], msg["time"]) + salt
            decryptor = Cipher(algorithms.AES(priv_key[:16]), CFB(iv)).decryptor()
        return decryptor.update(encrypted) + decryptor.finalize()

    def _encrypt(self, user: UsmUser, priv_key: bytes, boots: int, engine_time: int,
                 scoped: bytes) -> tuple[bytes, bytes]:
        """(salt for msgPrivacyParameters, ciphertext)."""
        if user.priv == "DES":
            salt = struct.pack(">I", boots & 0xFFFFFFFF) + self._next_salt()[4:]
            iv = bytes(a ^ b for a, b in zip(priv_key[8:16], salt, strict=True))
            padded = scoped + b"\x00" * (-len(scoped) % 8)
            encryptor = Cipher(TripleDES(priv_key[:8] * 3), modes.CBC(iv)).encryptor()
            return salt, encryptor.update(padded) + encryptor.finalize()
        salt = self._next_salt()
        iv = struct.pack(">II", boots, engine_time) + salt
        encryptor = Cipher(algorithms.AES(priv_key[:16]), CFB(iv)).encryptor()
        return salt, encryptor.update(scoped) + encryptor.finalize()

    # ------------------------------------------------------------------------------------------ building
    def _report(self, msg: dict, printer, oid: tuple[int, ...], count: int, auth) -> bytes:
        """A Report PDU (discovery, errors); authenticated only for notInTimeWindows (RFC 3414 3.2 7b)."""
        request_id = 0
        if not msg["encrypted"]:
            try:
                _ce, _cn, pdu = self._scoped(msg["scoped"])
                request_id = ber.decode_pdu(pdu, 0)[1]
            except ber.BerError:
                pass
        report = ber.encode_pdu(ber.REPORT, request_id, 0, 0,
                                [ber.encode_varbind(oid, ber.encode_integer(count, ber.COUNTER32))])
        scoped = ber.tlv(ber.SEQUENCE, ber.encode_octets(printer.engine_id) + ber.encode_octets(b"") + report)
        if auth is None:
            return self._message(msg, printer, 0, None, b"", b"", scoped, user_name=msg["user"])
        user, auth_key, _ = auth
        return self._message(msg, printer, FLAG_AUTH, user, auth_key, b"", scoped)

    def _message(self, msg: dict, printer, level: int, user: UsmUser | None, auth_key: bytes, priv_key: bytes,
                 scoped: bytes, user_name: bytes | None = None) -> bytes:
        boots, engine_time = printer.engine_boots, self.engine_time(printer)
        priv_params = b""
        if level & FLAG_PRIV:
            priv_params, encrypted = self._encrypt(user, priv_key, boots, engine_time, scoped)
            msg_data = ber.encode_octets(encrypted)
        else:
            msg_data = scoped
        name = user_name if user_name is not None else user.name.encode("utf-8")
        head = (ber.encode_octets(printer.engine_id) + ber.encode_integer(boots) + ber.encode_integer(engine_time)
                + ber.encode_octets(name))
        auth_field = ber.encode_octets(b"\x00" * DIGEST_LENGTH if level & FLAG_AUTH else b"")
        sec_seq = ber.tlv(ber.SEQUENCE, head + auth_field + ber.encode_octets(priv_params))
        sec_octets = ber.encode_octets(sec_seq)
        version = ber.encode_integer(3)
        global_data = ber.tlv(ber.SEQUENCE, ber.encode_integer(msg["msg_id"]) + ber.encode_integer(65507)
                              + ber.encode_octets(bytes((level,))) + ber.encode_integer(USM_SECURITY_MODEL))
        content = version + global_data + sec_octets + msg_data
        whole = ber.tlv(ber.SEQUENCE, content)
        if not level & FLAG_AUTH:
            return whole
        header = len(whole) - len(content)
        sec_header = len(sec_octets) - len(sec_seq)
        seq_header = len(sec_seq) - (len(head) + len(auth_field) + len(ber.encode_octets(priv_params)))
        offset = header + len(version) + len(global_data) + sec_header + seq_header + len(head) + 2
        digest = hmac.new(auth_key, whole, HASHES[user.auth]).digest()[:DIGEST_LENGTH]
        return whole[:offset] + digest + whole[offset + DIGEST_LENGTH:]
