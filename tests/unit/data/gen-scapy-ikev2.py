#!/usr/bin/python3
# gen-scapy-ikev2.py DIR: IKEv2 messages encoded by scapy's IKEv2 layer (scapy.contrib.ikev2,
# Debian python3-scapy), an encoder independent of esprit's builder, for
# tests/unit/test_ikev2_scapy.c. Run with Debian's /usr/bin/python3. Writes:
#   scapy-sa-init.bin     an IKE_SA_INIT request: SA (2 IKE proposals) KE Ni N N V
#   scapy-auth-inner.bin  the plaintext of an IKE_AUTH request's SK payload, first payload IDi:
#                         IDi IDr AUTH N SA(ESP) TSi TSr CP
# scapy 2.5 leaves Next Payload 0 unless told, so the chain is spelled out.
# The values here are the ones the C test expects; change both together.
import sys
from scapy.contrib.ikev2 import (IKEv2, IKEv2_payload_SA, IKEv2_payload_Proposal,
    IKEv2_payload_Transform, IKEv2_payload_KE, IKEv2_payload_Nonce, IKEv2_payload_Notify,
    IKEv2_payload_VendorID, IKEv2_payload_IDi, IKEv2_payload_IDr, IKEv2_payload_AUTH,
    IKEv2_payload_TSi, IKEv2_payload_TSr, IKEv2_payload_CP, IPv4TrafficSelector,
    IPv6TrafficSelector, ConfigurationAttribute)
from scapy.all import raw

out = sys.argv[1]

def xf(t, i, last, keylen=None):
    kw = dict(next_payload='last' if last else 'Transform', transform_type=t, transform_id=i)
    if keylen is not None:
        kw.update(key_length=0x800e0000 | keylen, length=12)
    return IKEv2_payload_Transform(**kw)

# proposal 1: ENCR_AES_GCM_16/128, PRF_HMAC_SHA2_384, DH 20 (ECP-384)
p1 = IKEv2_payload_Proposal(next_payload='Proposal', proposal=1, proto=1,
    trans_nb=3, trans=xf(1, 20, False, 128) / xf(2, 6, False) / xf(4, 20, True))
# proposal 2: ENCR_CHACHA20_POLY1305, PRF_HMAC_SHA2_256, DH 31 (Curve25519)
p2 = IKEv2_payload_Proposal(next_payload='last', proposal=2, proto=1,
    trans_nb=3, trans=xf(1, 28, False) / xf(2, 5, False) / xf(4, 31, True))
ke = bytes(range(0x60, 0x60 + 97))
nonce = bytes(range(0xa0, 0xa0 + 24))
natd = bytes(range(20))
m = (IKEv2(init_SPI=bytes.fromhex('1122334455667788'), resp_SPI=b'\0' * 8, exch_type=34,
           flags='Initiator', id=0)
     / IKEv2_payload_SA(next_payload=34, prop=p1 / p2)
     / IKEv2_payload_KE(next_payload=40, group=20, load=ke)
     / IKEv2_payload_Nonce(next_payload=41, load=nonce)
     / IKEv2_payload_Notify(next_payload=41, type=16389, load=natd)
     / IKEv2_payload_Notify(next_payload=43, type=16430)
     / IKEv2_payload_VendorID(vendorID=b'scapy-vendor'))
open(out + '/scapy-sa-init.bin', 'wb').write(raw(m))

# scapy 2.5 leaves the SPI out of Proposal Length (28 here), which RFC 7296 3.3.1 counts ("length
# of this proposal, including all transforms and attributes that follow" the 8-octet header and
# SPI), so it is given: 8 + 4 + 12 + 8 = 32. test_ikev2_scapy.c checks scapy's 28 is refused.
esp = IKEv2_payload_Proposal(next_payload='last', proposal=1, proto=3, SPI=bytes.fromhex('cafe0001'),
    length=32,
    trans_nb=2, trans=xf(1, 12, False, 256) / xf(3, 12, True))
tsi = IKEv2_payload_TSi(next_payload=45, traffic_selector=[
    IPv4TrafficSelector(IP_protocol_ID=6, length=16, start_port=1024, end_port=65535,
                        starting_address_v4='198.51.100.0', ending_address_v4='198.51.100.255'),
    IPv6TrafficSelector(IP_protocol_ID=0, length=40, start_port=0, end_port=65535,
                        starting_address_v6='2001:db8::', ending_address_v6='2001:db8::ffff')])
tsr = IKEv2_payload_TSr(next_payload=47, traffic_selector=[
    IPv4TrafficSelector(IP_protocol_ID=17, length=16, start_port=500, end_port=500,
                        starting_address_v4='203.0.113.9', ending_address_v4='203.0.113.9')])
# scapy 2.5 cannot compute these two lengths itself (MultipleTypeField, attribute list).
inner = (IKEv2_payload_IDi(next_payload=36, IDtype=2, ID=b'frontend.example', length=24)
         / IKEv2_payload_IDr(next_payload=39, IDtype=1, ID='192.0.2.80')
         / IKEv2_payload_AUTH(next_payload=41, auth_type=2, load=bytes(range(32)))
         / IKEv2_payload_Notify(next_payload=33, type=16384)
         / IKEv2_payload_SA(next_payload=44, prop=esp)
         / tsi / tsr
         / IKEv2_payload_CP(CFGType=1, length=16, attributes=[ConfigurationAttribute(type=1),
                                                   ConfigurationAttribute(type=3)]))
open(out + '/scapy-auth-inner.bin', 'wb').write(raw(inner))
