"""An independent reading of ESP packets with python3-cryptography (not scapy), used to check
what scapy does not: the padding esprit writes (RFC 4303 2.4), the alignment of the encrypted
part, the Next Header value, and the ICV of ETM SAs with ESN, which scapy 2.5.0 computes
without the high-order sequence bits (see test_scapy_esp.py)."""
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

HASHES = {"HMAC-SHA1-96": ("sha1", 12), "SHA2-256-128": ("sha256", 16),
          "SHA2-384-192": ("sha384", 24), "SHA2-512-256": ("sha512", 32)}


def etm_icv(auth, ikey, data, esn_hi=None):
    """RFC 4303 2.2.1 / 3.3.2.1: with ESN the high-order 32 bits take part in the ICV
    computation (appended after the ESP trailer) but are not transmitted."""
    name, n = HASHES[auth]
    if esn_hi is not None:
        data = data + struct.pack("!L", esn_hi)
    return hmac.new(ikey, data, name).digest()[:n]


def esp_open(alg, esp, seq64, esn):
    """Verify and decrypt one ESP header+payload (from the SPI on) for `alg` (a dict with
    crypt, key, auth, ikey). Returns (plaintext including the trailer, iv, ciphertext length).
    Raises ValueError on an ICV mismatch."""
    crypt = alg["crypt"]
    spi_seq = esp[:8]
    hi = seq64 >> 32
    if crypt in ("AES-GCM", "CHACHA20-POLY1305"):
        iv, body = esp[8:16], esp[16:]
        aad = esp[:4] + struct.pack("!LL", hi, seq64 & 0xffffffff) if esn else spi_seq
        key, salt = alg["key"][:-4], alg["key"][-4:]
        aead = AESGCM(key) if crypt == "AES-GCM" else ChaCha20Poly1305(key)
        try:
            pt = aead.decrypt(salt + iv, body, aad)
        except Exception as e:  # InvalidTag
            raise ValueError("AEAD tag mismatch") from e
        return pt, iv, len(body) - 16
    name, n = HASHES[alg["auth"]]
    icv = esp[-n:]
    want = etm_icv(alg["auth"], alg["ikey"], esp[:-n], hi if esn else None)
    if not hmac.compare_digest(icv, want):
        raise ValueError("HMAC mismatch")
    if crypt == "NULL":
        return esp[8:-n], b"", len(esp) - 8 - n
    iv, ct = esp[8:24], esp[24:-n]
    dec = Cipher(algorithms.AES(alg["key"]), modes.CBC(iv)).decryptor()
    return dec.update(ct) + dec.finalize(), iv, len(ct)


def trailer_problems(alg, pt, iv, ctlen, want_nh):
    """RFC 4303 2.4: padding bytes 1, 2, 3, ...; the encrypted part a multiple of the block
    size, and payload + trailer ending on a 4-octet boundary. Returns a list of problems."""
    probs = []
    if len(pt) < 2:
        return ["plaintext shorter than the trailer"]
    padlen, nh = pt[-2], pt[-1]
    if padlen + 2 > len(pt):
        return ["pad length %d longer than the plaintext" % padlen]
    pad = pt[-2 - padlen:-2]
    if pad != bytes(range(1, padlen + 1)):
        probs.append("padding is %s, not 01 02 03 ..." % pad.hex())
    if nh != want_nh:
        probs.append("next header %d, expected %d" % (nh, want_nh))
    block = 16 if alg["crypt"] == "AES-CBC" else 4
    if ctlen % block:
        probs.append("encrypted part %d bytes, not a multiple of %d" % (ctlen, block))
    if (len(iv) + ctlen) % 4:
        probs.append("ESP payload not 4-octet aligned")
    return probs
