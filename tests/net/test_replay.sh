#!/usr/bin/env bash
# Replayed ESP/AH: real packets of a session, captured on the wire and sent again by a third
# host, are all dropped by the anti-replay check (RFC 4303 3.4.3, RFC 4302 3.4.3) and counted.
#
#   ns C (client: curl)     ns W (switch: bridge br0)     ns S (server: nginx :80)
#   A_C vc --------------- wc        br0        ws --------------- vs A_S   <- capture here
#                                     |
#                                     wt --------------- vt A_T  ns T: scapy re-sends the capture
#
# Checks: a download through manual transport SAs (port 80, required by the server) is
# byte-identical; every captured packet of the client->server SA re-sent to the server, and
# every one of the server->client SA re-sent to the client, is dropped: each side's replay
# counter (control socket: Packets With Replay Detection) rises by exactly the number sent,
# the SA's inbound packet count does not move (nothing was delivered); the sequence numbers
# re-sent span more than the 64-packet window, so both the "seen in the window" and the "older
# than the window" paths are exercised; a second download still works and adds no replay drop.
# Variants: test_replay.sh (IPv4, ESP AES-GCM-128, raw ESP), test_replay6_udp.sh (IPv6, ESP in
# UDP 4500), test_replay_ah.sh (IPv4, AH HMAC-SHA2-256-128).
# Environment: ESPRIT_NET_FAMILY=4|6, ESPRIT_NET_ALG=gcm|cbc|ah, ESPRIT_NET_ENCAP=udp|"".
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init rpl curl openssl cmp nginx
net_variant 32 gcm
net_topology
espritd_pair "selector tcp port 80" "selector tcp sport 80"

mkdir -p "$TMP/nginx/www"
# >= 64 ACKs back: espritd hands the client's TCP a run of segments per TUN write (at most
# one TSO read, about 48) and it acks about once per write: 37-80 ACKs per MB were seen, at
# least about 16 per MB, so 4 MB.
head -c 4000000 /dev/urandom >"$TMP/nginx/www/data.bin"
chmod -R a+rX "$TMP/nginx"
nginx_start "$S" "$TMP/nginx" "$A_S" || bad "nginx did not start: $(cat "$TMP/nginx/stderr")"

# ---- a real session, captured -------------------------------------------------------------
capture_start "$S" vs "$TMP/wire.pcap"
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/got.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/got.bin" "$TMP/nginx/www/data.bin"; then
	ok "download through the SAs is byte-identical"
else
	bad "download through the SAs"
fi
sleep 0.5 # the connection's last ACKs
capture_stop

mac_of() { in_ns "$1" cat "/sys/class/net/$2/address"; }
MAC_S=$(mac_of "$S" vs)
MAC_C=$(mac_of "$C" vc)
r_s0=$(ctl_counter "$SS" replay)
r_c0=$(ctl_counter "$CS" replay)
p_s0=$(ctl_counter "$SS" sa-in:0x1001)
p_c0=$(ctl_counter "$CS" sa-in:0x1002)
echo "before: server replay $r_s0, inbound packets $p_s0; client replay $r_c0, inbound packets $p_c0"
check "no replay drop before anything was re-sent" [ $((r_s0 + r_c0)) -eq 0 ]

# ---- the third host re-sends everything ---------------------------------------------------
RS="$NET_DIR/wire_resend.py"
n_s=$(in_ns "$T" "$PY3" "$RS" "$TMP/wire.pcap" vt "$MAC_S" "$A_C" "$A_S" 0x1001) ||
	bad "wire_resend.py to the server"
n_c=$(in_ns "$T" "$PY3" "$RS" "$TMP/wire.pcap" vt "$MAC_C" "$A_S" "$A_C" 0x1002) ||
	bad "wire_resend.py to the client"
echo "re-sent: $n_s packets of SPI 0x1001 to the server, $n_c of SPI 0x1002 to the client"
check "every packet the inbound SAs took was re-sent ($p_s0 to the server, $p_c0 to the client)" \
	[ "${n_s:-0}:${n_c:-0}" = "$p_s0:$p_c0" ]
check "more packets re-sent than the 64-packet window holds, both ways" \
	[ $((${n_s:-0} > 64 && ${n_c:-0} > 64)) -eq 1 ]
want_s=$((r_s0 + ${n_s:-0}))
want_c=$((r_c0 + ${n_c:-0}))
wait_for 5 bash -c "[ \$($PY3 $NET_DIR/ctl_stat.py $SS replay) -ge $want_s ] &&
	[ \$($PY3 $NET_DIR/ctl_stat.py $CS replay) -ge $want_c ]"
sleep 0.3 # nothing more may arrive
r_s1=$(ctl_counter "$SS" replay)
r_c1=$(ctl_counter "$CS" replay)
echo "after: server replay $r_s1, client replay $r_c1"
check "server: replay counter rose by exactly the $n_s packets re-sent" [ "$r_s1" -eq "$want_s" ]
check "client: replay counter rose by exactly the $n_c packets re-sent" [ "$r_c1" -eq "$want_c" ]
check "server: no replayed packet delivered (inbound SA still at $p_s0 packets)" \
	[ "$(ctl_counter "$SS" sa-in:0x1001)" -eq "$p_s0" ]
check "client: no replayed packet delivered (inbound SA still at $p_c0 packets)" \
	[ "$(ctl_counter "$CS" sa-in:0x1002)" -eq "$p_c0" ]
check "server: nothing counted as an ICV failure (the copies were intact)" \
	[ "$(ctl_counter "$SS" icv)" -eq 0 ]

# ---- the SAs still work, and real traffic is not mistaken for a replay ------------------------
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/got2.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/got2.bin" "$TMP/nginx/www/data.bin"; then
	ok "a second download after the replays is byte-identical"
else
	bad "second download after the replays"
fi
check "no replay drop during the second download" \
	[ "$(ctl_counter "$SS" replay):$(ctl_counter "$CS" replay)" = "$r_s1:$r_c1" ]

espritd_stop_pair
net_finish "$TMP/client.log" "$TMP/server.log"
