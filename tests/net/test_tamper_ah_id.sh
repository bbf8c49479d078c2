#!/usr/bin/env bash
# The kernel must not "tamper" with IPv4 AH: an outer Identification of 0 with DF clear is
# rewritten by Linux on an IP_HDRINCL send after the ICV was computed, and the peer then drops
# the packet as if it had been modified in flight (RFC 4302 3.3.3.1.1.1: the ID is covered).
#
#   ns C (client: UDP sender)   ns W (switch: bridge br0)   ns S (server: socat UDP sink :9999)
#   A_C vc --------------- wc        br0        ws --------------- vs A_S  <- capture (AH seq 65536)
#
# AH tunnel-mode SAs (HMAC-SHA2-256-128) between the hosts for UDP port 9999. espritd's tunnel
# outer header has DF clear and the low half of the sequence number as its ID, so packet 65536
# is the first whose ID would be 0. The client sends 70,000 datagrams. Checks: the outbound SA
# passed sequence number 65536; the server counted no ICV failure and its inbound SA took every
# packet the client's outbound SA sent; on the wire, the packet with sequence number 65536 has
# ID 0x8000 and scapy (an independent AH implementation) verifies its ICV. Before the fix in
# src/xform/ah.c this test saw exactly one ICV failure (docs/testing.md).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init ahid socat openssl
net_family 4 39
net_alg ah
C=${NET_PREFIX}c$$ S=${NET_PREFIX}s$$ W=${NET_PREFIX}w$$
for n in "$C" "$S" "$W"; do
	net_ns "$n"
done
in_ns "$W" ip link add br0 type bridge
in_ns "$W" ip link set br0 up
net_link "$C" vc wc "$A_C"
net_link "$S" vs ws "$A_S"
net_key "$TMP/k1" "$KEYLEN"
net_key "$TMP/k2" "$KEYLEN"
cat >"$TMP/client.conf" <<CONF
use policy client-respond-only
sa out ah spi 0x1001 tunnel $A_C -> $A_S $ALG key file "$TMP/k1" selector udp port 9999
sa in ah spi 0x1002 tunnel $A_S -> $A_C $ALG key file "$TMP/k2" selector udp sport 9999
CONF
cat >"$TMP/server.conf" <<CONF
use policy client-respond-only
sa in ah spi 0x1001 tunnel $A_C -> $A_S $ALG key file "$TMP/k1" selector udp port 9999
sa out ah spi 0x1002 tunnel $A_S -> $A_C $ALG key file "$TMP/k2" selector udp sport 9999
CONF
espritd_start "$C" "$TMP/client.conf" "$TMP/client.log" || net_finish "$TMP/client.log"
PIDC=$ESPRITD_PID
espritd_start "$S" "$TMP/server.conf" "$TMP/server.log" || net_finish "$TMP/server.log"
PIDSV=$ESPRITD_PID
ip netns exec "$S" socat -u "UDP-RECV:9999,bind=$A_S" /dev/null &
PIDS+=($!)
# Only the AH packet with sequence number 65536 (offset 28: 20 octets of IPv4, then AH's
# next header, length, reserved, SPI): the capture must not slow the hosts down.
capture_start "$S" vs "$TMP/wire.pcap" "ip proto 51 and ip[28:4] = 65536"

# 70,000 datagrams, paced (a pause every 100) so that no socket on the way overflows.
ip netns exec "$C" "$PY3" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(70000):
    s.sendto(b"x" * 16, (sys.argv[1], 9999))
    if i % 100 == 0:
        time.sleep(0.002)' "$A_S"
sa_seq() { ctl "$TMP/client.sock" sa | sed -n 's/^sa out ah spi 0x00001001 .* seq \([0-9]*\)$/\1/p'; }
sleep 1
capture_stop
out=$(sa_seq)
in=$(ctl_counter "$TMP/server.sock" sa-in:0x1001)
icv=$(ctl_counter "$TMP/server.sock" icv)
echo "client sent $out AH packets; server took $in, ICV failures $icv"
check "the client's outbound SA passed sequence number 65536 ($out)" [ "${out:-0}" -gt 65536 ]
check "server: no ICV failure" [ "$icv" -eq 0 ]
check "server: its inbound SA took every packet the client sent" [ "$in" = "$out" ]
if res=$("$PY3" - "$TMP/wire.pcap" "$TMP/k1" "$A_C" "$A_S" <<'PY'
import logging, sys
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, PcapReader
from scapy.layers.ipsec import AH, SecurityAssociation
pcap, keyfile, src, dst = sys.argv[1:5]
key = bytes.fromhex(open(keyfile).read().strip()[2:])
sa = SecurityAssociation(AH, spi=0x1001, auth_algo="SHA2-256-128", auth_key=key,
                         tunnel_header=IP(src=src, dst=dst))
for p in PcapReader(pcap):
    if IP in p and AH in p and p[AH].spi == 0x1001 and p[AH].seq == 65536:
        ip = IP(bytes(p[IP]))
        try:
            sa.decrypt(ip)
        except Exception:  # scapy raises on an ICV mismatch
            print(f"id {ip.id:#06x}, ICV mismatch")
            sys.exit(1)
        print(f"id {ip.id:#06x}, DF {'set' if ip.flags.DF else 'clear'}")
        sys.exit(0 if ip.id == 0x8000 else 1)
print("no packet with sequence number 65536")
sys.exit(1)
PY
); then
	ok "packet 65536 on the wire: $res, its ICV verified by scapy"
else
	bad "packet 65536 on the wire: $res"
fi
espritd_stop_pair
net_finish "$TMP/client.log" "$TMP/server.log"
