#!/usr/bin/env bash
# inpass ("accept unsecured communication, but always respond using IPsec"): a legacy client
# without esprit sends plaintext to the server's port 80; the server accepts it and its reply
# leaves protected, as ESP.
#
#   ns L (legacy client, no esprit)              ns S (server, espritd)
#   10.6.0.1 ethl ------------------------------ eths 10.6.0.2   http :80, http :8080
#
# The server's policy: `any -> me tcp port 80` (not mirrored) with a negotiate action that
# has `inpass`; its manual outbound SA to the client (AES-GCM-128, port 80 replies) carries
# the reply. Checks: the client's SYNs reach the server in clear and the inpass rule accepts
# them (its counter moves; the rule also marks the connection); every reply to the client
# from port 80 is ESP on the wire, decrypted by scapy to TCP from port 80 (so the SYN-ACK
# itself left protected); nothing from port 80 leaves in clear; the client, unable to read
# ESP, gets no answer; a control connection to port 8080 (no filter) is served in clear.
# Root only (exit 77).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
net_init inpass curl openssl
"$PY3" -c 'import scapy' 2>/dev/null || skip "python3-scapy not installed"

L=inpass-l$$
S=inpass-s$$
A_L=10.6.0.1 A_S=10.6.0.2

rule_counter() { # rule_counter NS CHAIN COMMENT: packets counted by that rule
	local v
	v=$(ip netns exec "$1" nft list chain inet esprit "$2" | grep -F "comment \"$3\"" |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | head -1)
	echo "${v:-none}"
}

for n in "$L" "$S"; do
	net_ns "$n"
done
ip link add ethl netns "$L" type veth peer name eths netns "$S" || exit 1
ip -n "$L" addr add $A_L/24 dev ethl
ip -n "$S" addr add $A_S/24 dev eths
ip -n "$L" link set ethl up
ip -n "$S" link set eths up

echo "0x$(openssl rand -hex 20)" >"$TMP/k2"
chmod 600 "$TMP/k2"
cat >"$TMP/server.conf" <<CONF
filter-list http-in {
	any -> me tcp port 80
}
action accept-then-protect {
	negotiate
	method esp aes-gcm-128
	inpass
}
policy server {
	rule http {
		filters http-in
		action accept-then-protect
	}
}
use policy server
sa out esp spi 0x3002 transport $A_S -> $A_L aes-gcm-128 key file "$TMP/k2" selector tcp sport 80
CONF
if espritd_start "$S" "$TMP/server.conf" "$TMP/server.log"; then
	ok "espritd started on the server"
else
	net_finish "$TMP/server.log"
fi
PIDD=$ESPRITD_PID

mkdir "$TMP/www"
echo "hello from the server" >"$TMP/www/index.html"
for port in 80 8080; do
	ip netns exec "$S" "$PY3" -m http.server $port --bind $A_S --directory "$TMP/www" \
		>"$TMP/http$port.log" 2>&1 &
	PIDS+=($!)
	wait_for 10 ip netns exec "$S" "$PY3" -c \
		'import socket; socket.create_connection(("'$A_S'", '$port'), 1)' ||
		bad "HTTP server on port $port (over lo) not reachable"
done

capture_start "$S" eths "$TMP/wire.pcap"
if ip netns exec "$L" curl -sS --max-time 3 -o /dev/null "http://$A_S/" 2>/dev/null; then
	bad "the legacy client read a reply it cannot decrypt"
else
	ok "the legacy client gets no readable answer on port 80 (the reply is ESP)"
fi
check "control: port 8080 (no filter) is answered in clear" \
	ip netns exec "$L" curl -sS --max-time 5 -o "$TMP/got8080" "http://$A_S:8080/"
capture_stop

count() { tcpdump -r "$TMP/wire.pcap" -n "$1" 2>/dev/null | wc -l; }
n_syn=$(count "tcp[tcpflags] & tcp-syn != 0 and src host $A_L and dst port 80")
n_esp=$(count "esp and src host $A_S and dst host $A_L")
n_clear80=$(count "tcp and src host $A_S and src port 80")
n_clear8080=$(count "tcp and src host $A_S and src port 8080")
inpass=$(rule_counter "$S" enforce "rule http")
# The reply matches no policy rule (the filter is not mirrored): the SA's own selector rule or,
# after it, the rule for connections marked protected steers it.
steered=$(ip netns exec "$S" nft list chain inet esprit steer |
	grep -E 'comment "sa 0x00003002"|ct mark and' |
	sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
echo "wire: $n_syn SYNs to port 80 from the client, $n_esp ESP replies, $n_clear80 clear" \
	"replies from port 80, $n_clear8080 clear from 8080; nft inpass rule: $inpass"
check "the client's plaintext SYNs reached the server" [ "$n_syn" -ge 1 ]
check "the inpass rule accepted exactly those SYNs ($n_syn)" [ "$inpass" = "$n_syn" ]
check "the replies left as ESP (one per SYN at least)" [ "$n_esp" -ge "$n_syn" ]
check "nothing from port 80 left in clear" [ "$n_clear80" -eq 0 ]
check "nft steered the replies into the TUN ($steered >= $n_esp)" [ "$steered" -ge "$n_esp" ]
check "port 8080 answered in clear" [ "$n_clear8080" -ge 1 ]
if out=$("$PY3" "$(dirname "$0")/esp_verify.py" "$TMP/wire.pcap" "$TMP/k2" 0x3002); then
	ok "scapy decrypts every ESP reply to TCP from port 80: $out"
else
	bad "scapy on the ESP replies: $out"
fi
check "rp_filter still strict (1) on the server" \
	[ "$(ip netns exec "$S" sysctl -n net.ipv4.conf.all.rp_filter)" = 1 ]

kill -TERM "$PIDD"
wait "$PIDD" 2>/dev/null
check "nft table removed on SIGTERM" \
	bash -c "! ip netns exec $S nft list table inet esprit >/dev/null 2>&1"
net_finish "$TMP/server.log"
