#!/usr/bin/env bash
# IKE_SA_INIT flood from spoofed sources: the responder demands COOKIEs (RFC 7296 2.6) and a
# legitimate initiator still gets through.
#
#   ns C (client, initiator, PSK)   ns W (bridge)   ns S (server, responder, nginx :80)
#   A_C curl ------------------------------------------ A_S
#   ns T A_T: ike_flood.py sends IKE_SA_INIT from 10.N.1.1-250 (S routes 10.N.1.0/24 to A_T,
#             so its answers come back to T, where the flooder sorts them)
#
# espritd has no configuration knob for the cookie threshold, so the engine's defaults apply
# (src/ike/ike.c: COOKIEs once 32 responder SAs are half-open, at most 16 half-open per peer,
# half-open SAs expire after 30 s). The flood: 300 well-formed IKE_SA_INIT requests (X25519)
# from 250 addresses at 100/s, so at most one request per address in any 2.5 s. Checks: the
# first requests get full answers, then COOKIEs (the flooder counts both on the wire, the
# server's "cookies sent" counter moves), the server never holds more than 32 half-open IKE SAs
# during the flood, and curl from C, started as soon as 32 are half-open, works: C's
# IKE_SA_INIT is answered with a COOKIE, C repeats it with the cookie and the SA is established.
# esprit stats afterwards: one active IKE SA on each side, no failures, no invalid packets; then
# three invalid datagrams from T move the server's Invalid Packets Received by exactly 3.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike_lib.sh"
net_init ikk curl openssl cmp nginx
net_family 4 12
ESPRIT="$ESPRIT_BUILD/esprit"
net_topology
"$PY3" -c 'import scapy.all, cryptography' 2>/dev/null || skip "scapy or cryptography missing"
SPOOF=10.12.1
in_ns "$S" ip route add "$SPOOF.0/24" via "$A_T"

ike_psk_confs ""
ike_pair_start
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"

half_open() { # IKE SAs of the server that are not ESTABLISHED (responder, half-open)
	ctl_json "$TMP/server.sock" status 'sum(1 for s in d["ike_sas"] if "ESTABLISHED" not in s)'
}
cookies() {
	ctl_json "$TMP/server.sock" stats 'd["main_mode"]["ike_cookies_sent"]'
}
c0=$(cookies)

# ---- the flood, and a legitimate client in the middle of it ----------------------------------
capture_start "$S" vs "$TMP/wire.pcap" udp port 500 and host "$A_C"
ip netns exec "$T" "$PY3" "$NET_DIR/ike_flood.py" vt "$A_S" "$SPOOF" 300 100 "$TMP/flood.json" \
	>"$TMP/flood.log" 2>&1 &
FLOOD_PID=$!
PIDS+=("$FLOOD_PID")
max_ho=0
ho_full() { # the threshold is reached: the next IKE_SA_INIT must bring a cookie
	local h
	h=$(half_open)
	[ "$h" -gt "$max_ho" ] && max_ho=$h
	[ "$h" -ge 32 ]
}
check "32 spoofed requests are half-open on the server within 20 s" wait_for 20 ho_full
t0=$SECONDS
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/got.bin" "http://$URL_S/data.bin"; then
	ok "curl from the legitimate client during the flood works ($((SECONDS - t0)) s)"
else
	bad "curl from the legitimate client during the flood failed"
fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
while kill -0 "$FLOOD_PID" 2>/dev/null; do
	h=$(half_open)
	[ "$h" -gt "$max_ho" ] && max_ho=$h
	sleep 0.2
done
wait "$FLOOD_PID"
check "flooder finished" [ $? -eq 0 ]
capture_stop
c1=$(cookies)

fj() { "$PY3" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
	"$TMP/flood.json" "$1"; }
sent=$(fj sent) full=$(fj answered_full) ck=$(fj answered_cookie) oth=$(fj answered_other)
echo "flood: $sent IKE_SA_INIT from $(fj sources) addresses; answers: $full full, $ck COOKIE," \
	"$oth other; server cookies sent $c0 -> $c1; most half-open SAs seen $max_ho"
check "the first spoofed requests got full answers (state kept), no more than 32" \
	in_range "$full" 1 32
check "the rest were answered with COOKIEs (at least 200 of 300)" [ "$ck" -ge 200 ]
check "half-open IKE SAs stayed bounded (most seen $max_ho <= 32)" \
	in_range "$max_ho" 1 32
check "no invalid or refused answers to the flood" [ "$oth" -eq 0 ]

# C's IKE_SA_INIT: a COOKIE came back and C sent it again with the cookie (RFC 7296 2.6).
"$PY3" - "$TMP/wire.pcap" "$A_C" >"$TMP/c_init.txt" <<'PY'
import struct, sys
from scapy.all import UDP, IP, rdpcap
n_cookie = n_retry = 0
for p in rdpcap(sys.argv[1]):
    m = bytes(p[UDP].payload)
    if len(m) < 36 or m[18] != 34:  # IKE_SA_INIT only
        continue
    is_cookie_n = m[16] == 41 and struct.unpack("!H", m[34:36])[0] == 16390
    if p[IP].dst == sys.argv[2] and is_cookie_n:
        n_cookie += 1
    if p[IP].src == sys.argv[2] and is_cookie_n:
        n_retry += 1
print(n_cookie, n_retry)
PY
read -r c_cookie c_retry <"$TMP/c_init.txt"
echo "client: $c_cookie COOKIE answers received, $c_retry IKE_SA_INIT repeated with the cookie"
check "the client was asked for a cookie and repeated IKE_SA_INIT with it" \
	in_range "$((c_cookie < c_retry ? c_cookie : c_retry))" 1 5
check "server's cookies-sent counter moved by exactly the COOKIEs on the wire ($((c1 - c0)))" \
	[ $((c1 - c0)) -eq $((ck + c_cookie)) ]
check "client and server hold the negotiated pair (2 SAs each)" \
	[ "$(sa_web "$TMP/client.sock") $(sa_web "$TMP/server.sock")" = "2 2" ]
# esprit stats, Main Mode: the half-open flood never became active, failed nothing and was not
# invalid; only the client's IKE SA is active, on both sides.
for h in client server; do
	st=$(for k in active authentication_failures negotiation_failures invalid_packets \
		acquire_failures; do mm "$TMP/$h.sock" "$k"; done | xargs)
	echo "stats ($h): active, auth/negotiation failures, invalid packets, acquire failures: $st"
	check "stats ($h): one active IKE SA, no failures, no invalid packets" [ "$st" = "1 0 0 0 0" ]
done
# Invalid Packets Received: three datagrams from T to the server's UDP 500 that are no IKE
# message of any SA of its: too short for the header (RFC 7296 3.1: 28 octets), a header whose
# length field disagrees with the datagram, and a well-formed IKE_AUTH request for SPIs it
# never made.
inv0=$(mm "$TMP/server.sock" invalid_packets)
in_ns "$T" "$PY3" - "$A_S" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
hdr = lambda exch, length: struct.pack("!QQBBBBII", 0x1122334455667788, 0x99aabbccddeeff00,
                                       0, 0x20, exch, 0x08, 1, length)
for d in (b"\x00" * 10, hdr(35, 200), hdr(35, 28)):
    s.sendto(d, (sys.argv[1], 500))
PY
inv_is() { [ "$(mm "$TMP/server.sock" invalid_packets)" = "$1" ]; }
check "stats: the server counted the 3 invalid datagrams as Invalid Packets Received" \
	wait_for 10 inv_is $((inv0 + 3))

espritd_stop_all "$C:$PIDC" "$S:$PIDSV"
net_finish "$TMP/client.log" "$TMP/server.log" "$TMP/flood.log"
