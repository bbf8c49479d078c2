#!/usr/bin/env bash
# Policy-driven enforcement: the front-end requires ESP to the back-end for TCP port 80; the
# back-end either requires it too (a legacy client's plaintext is dropped) or is respond-only
# (the legacy client is served in clear, the front-end still over ESP).
#
#   ns F (front-end, espritd)     ns W (switch: bridge br0)     ns B (back-end, espritd)
#   10.7.0.1 ethf ---------------- wf       br0       wb ---------------- ethb 10.7.0.2  http :80
#                                          |
#                                          wl ---------------- ethl 10.7.0.3  ns L (legacy client,
#                                                                            no esprit)
# Keys are manual (AES-GCM-128 transport SAs for port 80); what is steered and what is
# required comes from each host's policy (`filter-list`, `action`, `policy`), whose nft rules
# come before the SAs' own. Checks: the front-end's download is byte-identical and only ESP
# on the wire, steered by the policy rule (its counter moves, the SA's rule stays at 0); the
# legacy client's plaintext is dropped by the back-end's policy rule, counter = SYNs seen on
# the wire; after a reload into client-respond-only the legacy client gets the file in clear
# and the front-end still gets it over ESP; rp_filter stays strict (1). Root only (exit 77).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
net_init require curl openssl cmp

F=require-f$$
B=require-b$$
L=require-l$$
W=require-w$$
# ESPRIT_NET_FAMILY=6 runs the same over IPv6 (test_policy_require6.sh): there the front-end's
# rule matches both of its IPv6 addresses (global and link-local), through the @me6 set.
if [ "${ESPRIT_NET_FAMILY:-4}" = 6 ]; then
	A_F=fd00:7::1 A_B=fd00:7::2 A_L=fd00:7::3 PLEN=64 NODAD=nodad URL_B="[fd00:7::2]"
	SYN="ip6 and ip6[53] & 2 != 0"
else
	A_F=10.7.0.1 A_B=10.7.0.2 A_L=10.7.0.3 PLEN=24 NODAD= URL_B=10.7.0.2
	SYN="tcp[tcpflags] & tcp-syn != 0"
fi
# rule_counter NS CHAIN COMMENT: packets counted by the rule with that comment.
rule_counter() {
	local v
	v=$(ip netns exec "$1" nft list chain inet esprit "$2" | grep -F "comment \"$3\"" |
		grep -v 'fib daddr type' | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -1)
	echo "${v:-none}"
}

# ---- topology ------------------------------------------------------------------------
for n in "$F" "$B" "$L" "$W"; do
	net_ns "$n"
done
ip -n "$W" link add br0 type bridge
ip -n "$W" link set br0 up
net_link "$F" ethf wf $A_F
net_link "$B" ethb wb $A_B
net_link "$L" ethl wl $A_L

# ---- configurations --------------------------------------------------------------------
for k in k1 k2; do
	echo "0x$(openssl rand -hex 20)" >"$TMP/$k"
	chmod 600 "$TMP/$k"
done
cat >"$TMP/front.conf" <<CONF
filter-list to-backend {
	me -> $A_B tcp port 80 mirrored
}
action require-esp {
	negotiate
	method esp aes-gcm-128
}
policy front {
	rule http {
		filters to-backend
		action require-esp
	}
}
use policy front
sa out esp spi 0x2001 transport $A_F -> $A_B aes-gcm-128 key file "$TMP/k1" selector tcp port 80
sa in esp spi 0x2002 transport $A_B -> $A_F aes-gcm-128 key file "$TMP/k2" selector tcp sport 80
CONF
SAS_B="sa in esp spi 0x2001 transport $A_F -> $A_B aes-gcm-128 key file \"$TMP/k1\" selector tcp port 80
sa out esp spi 0x2002 transport $A_B -> $A_F aes-gcm-128 key file \"$TMP/k2\" selector tcp sport 80"
cat >"$TMP/back-require.conf" <<CONF
filter-list http-in {
	any -> me tcp port 80 mirrored
}
action require-esp {
	negotiate
	method esp aes-gcm-128
}
policy back {
	rule http {
		filters http-in
		action require-esp
	}
}
use policy back
$SAS_B
CONF
cat >"$TMP/back-respond.conf" <<CONF
use policy client-respond-only
$SAS_B
CONF
cp "$TMP/back-require.conf" "$TMP/back.conf"

espritd_start "$F" "$TMP/front.conf" "$TMP/front.log" || net_finish "$TMP/front.log"
PIDF=$ESPRITD_PID
espritd_start "$B" "$TMP/back.conf" "$TMP/back.log" || net_finish "$TMP/back.log"
PIDB=$ESPRITD_PID
ok "espritd started on the front-end and the back-end"

mkdir "$TMP/www"
head -c 300000 /dev/urandom >"$TMP/www/data.bin"
ip netns exec "$B" "$PY3" -m http.server 80 --bind $A_B --directory "$TMP/www" \
	>"$TMP/http.log" 2>&1 &
PIDS+=($!)
wait_for 10 ip netns exec "$B" "$PY3" -c \
	'import socket; socket.create_connection(("'$A_B'", 80), 1)' ||
	bad "HTTP server on the back-end (over lo) not reachable"

fetch() { # fetch NS OUT: download from the back-end
	ip netns exec "$1" curl -sS --max-time "${3:-20}" -o "$2" "http://$URL_B/data.bin"
}

# ---- back-end requires ------------------------------------------------------------------
capture_start "$B" ethb "$TMP/req.pcap"
check "front-end downloads over ESP (back-end requires)" fetch "$F" "$TMP/f1.bin"
check "front-end's download is byte-identical" cmp -s "$TMP/www/data.bin" "$TMP/f1.bin"
if fetch "$L" "$TMP/l1.bin" 3 2>/dev/null; then
	bad "legacy client's plaintext to port 80 accepted while the back-end requires ESP"
else
	ok "legacy client's plaintext to port 80 is dropped while the back-end requires ESP"
fi
capture_stop
n_esp=$(pcap_count "$TMP/req.pcap" "esp and host $A_F")
n_plain=$(pcap_count "$TMP/req.pcap" "tcp port 80 and host $A_F")
n_syn=$(pcap_count "$TMP/req.pcap" "$SYN and tcp and src host $A_L and dst port 80")
n_back=$(pcap_count "$TMP/req.pcap" "tcp and src host $A_B and dst host $A_L")
echo "wire: $n_esp ESP F<->B, $n_plain plaintext port 80 F<->B, $n_syn SYNs from L, $n_back to L"
check "ESP between front-end and back-end (>= 100 packets)" [ "$n_esp" -ge 100 ]
check "no plaintext port 80 between front-end and back-end" [ "$n_plain" -eq 0 ]
check "the legacy client's SYNs reached the back-end's wire" [ "$n_syn" -ge 1 ]
check "the back-end answered the legacy client nothing" [ "$n_back" -eq 0 ]
f_pol=$(rule_counter "$F" steer "rule http")
f_sa=$(rule_counter "$F" steer "sa 0x00002001")
b_req=$(rule_counter "$B" enforce "rule http")
b_pol=$(rule_counter "$B" steer "rule http")
echo "nft: front-end steered $f_pol by policy, $f_sa by the SA's selector;" \
	"back-end dropped $b_req plaintext, steered $b_pol replies by policy"
check "front-end: the policy rule steered the requests (>= 10 packets)" [ "${f_pol//none/0}" -ge 10 ]
check "front-end: nothing left for the SA's own selector rule (policy first)" [ "$f_sa" = 0 ]
if [ "${ESPRIT_NET_FAMILY:-4}" = 6 ]; then
	check "front-end: its rule matches the host's IPv6 addresses by the @me6 set" bash -c \
		"ip netns exec $F nft list chain inet esprit steer | grep 'rule http' | grep -q '@me6'"
fi
check "back-end: the policy's require rule dropped exactly the legacy client's SYNs ($n_syn)" \
	[ "$b_req" = "$n_syn" ]
check "back-end: the replies were steered by the mirrored policy rule (>= 10)" \
	[ "${b_pol//none/0}" -ge 10 ]

# ---- back-end respond-only (reload) -------------------------------------------------------
cp "$TMP/back-respond.conf" "$TMP/back.conf"
kill -HUP "$PIDB"
check "back-end reloads into client-respond-only" \
	wait_for 5 grep -q "steering: .* policy client-respond-only" "$TMP/back.log"
check "back-end: no policy rule left after the reload" \
	bash -c "! ip netns exec $B nft list table inet esprit | grep -q 'rule http'"
capture_start "$B" ethb "$TMP/resp.pcap"
check "legacy client downloads in clear from the respond-only back-end" fetch "$L" "$TMP/l2.bin" 10
check "legacy client's download is byte-identical" cmp -s "$TMP/www/data.bin" "$TMP/l2.bin"
check "front-end still downloads (respond-only back-end)" fetch "$F" "$TMP/f2.bin"
check "front-end's second download is byte-identical" cmp -s "$TMP/www/data.bin" "$TMP/f2.bin"
capture_stop
n_esp=$(pcap_count "$TMP/resp.pcap" "esp and host $A_F")
n_plain=$(pcap_count "$TMP/resp.pcap" "tcp port 80 and host $A_F")
n_legacy=$(pcap_count "$TMP/resp.pcap" "tcp port 80 and host $A_L")
echo "wire: $n_esp ESP F<->B, $n_plain plaintext F<->B, $n_legacy plaintext L<->B"
check "front-end's traffic is still ESP (>= 100 packets)" [ "$n_esp" -ge 100 ]
check "front-end's traffic has no plaintext port 80" [ "$n_plain" -eq 0 ]
check "legacy client's traffic is plaintext (>= 10 packets)" [ "$n_legacy" -ge 10 ]
check "back-end: the connection from the TUN was marked protected (pre counter > 0)" \
	bash -c "ip netns exec $B nft list chain inet esprit pre |
		grep -q 'counter packets [1-9]'"

# ---- host settings untouched ----------------------------------------------------------------
for n in "$F" "$B"; do
	check "rp_filter still strict (1) in $n" \
		[ "$(ip netns exec "$n" sysctl -n net.ipv4.conf.all.rp_filter)" = 1 ]
done

kill -TERM "$PIDF" "$PIDB"
wait "$PIDF" 2>/dev/null
wait "$PIDB" 2>/dev/null
for n in "$F" "$B"; do
	check "nft table removed in $n on SIGTERM" \
		bash -c "! ip netns exec $n nft list table inet esprit >/dev/null 2>&1"
done
net_finish "$TMP/front.log" "$TMP/back.log"
