#!/usr/bin/env bash
# Dead peer detection (RFC 7296 2.4): the survivor notices, removes the SAs, and new traffic
# negotiates again once the peer is back.
#
#   ns C (client, initiator, survivor)   ns W (bridge)   ns S (server, responder, nginx :80)
#   A_C curl, espritd on a 10x clock ----------------------- A_S espritd (SIGSTOPped = cut off)
#
# The test keeps the engine's defaults (no dpd-delay line; the retransmission schedule has no
# knob at all, src/ike/ike_sa.c): an empty INFORMATIONAL after 30 s without an authenticated message while
# traffic goes out, retransmitted after 1, 2, 4, 8, 16 s, the peer declared dead 32 s after
# the last one: at least 93 s from the cut. To stay short, the client's espritd runs under
# libfaketime with its clocks (CLOCK_MONOTONIC too) and its epoll timeouts 10 times faster; the
# server's espritd keeps the real clock. The numbers printed are in real seconds and in the
# client's clock.
#
# Checks: HTTP works over the negotiated pair; the server's espritd is SIGSTOPped and TCP
# connection attempts keep traffic going out; the client sends the liveness check and its 5
# retransmissions (6 INFORMATIONAL requests, none answered), logs that the IKE SA with A_S is
# dead, and `esprit sa` / `esprit status` list no Child SA and not that IKE SA any more (the
# only other requests allowed are IKE_SA_INIT for traffic still going out after it); after
# SIGCONT a new download starts an acquire, negotiates a new pair (the server drops the old
# one on INITIAL_CONTACT) and is byte-identical.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike_lib.sh"
net_init ikd curl openssl cmp nginx
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -r "$FAKETIME_LIB" ] || skip "libfaketime not installed (Debian package faketime)"
net_family "${ESPRIT_NET_FAMILY:-4}" 13
ESPRIT="$ESPRIT_BUILD/esprit"
SPEED=10
net_topology

ike_psk_confs ""
espritd_start "$S" "$TMP/server.conf" "$TMP/server.log" || ike_start_failed "$TMP/server.log"
PIDSV=$ESPRITD_PID
# as espritd_start, with the faster clock (ip netns exec and env exec: $! is espritd's PID);
# a sanitizer build must accept the preloaded library ahead of its runtime
ip netns exec "$C" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="+0 x$SPEED" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	"$ESPRITD" -f "$TMP/client.conf" --foreground --control "$TMP/client.sock" \
	>"$TMP/client.log" 2>&1 &
PIDC=$!
PIDS+=("$PIDC")
wait_for 10 grep -q "espritd running" "$TMP/client.log" || ike_start_failed "$TMP/client.log"
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"

get() { # get OUTFILE: download data.bin from C
	rm -f "$1"
	in_ns "$C" curl -sS --max-time 15 -o "$1" "http://$URL_S/data.bin" &&
		cmp -s "$TMP/ngx/www/data.bin" "$1"
}
n_ike_sas() { ctl_json "$TMP/client.sock" status 'len(d["ike_sas"])'; }
check "download over the negotiated pair is byte-identical" get "$TMP/got1.bin"
check "client holds one IKE SA and one pair" \
	[ "$(n_ike_sas) $(sa_web "$TMP/client.sock")" = "1 2" ]

# ---- cut the server off: its espritd stops, connection attempts keep traffic going out --------
old_ike=$(sa_eval "$TMP/client.sock" "ike_sas[0]['spi_i']")
capture_start "$C" vc "$TMP/dpd.pcap" udp port 500
kill -STOP "$PIDSV"
t_cut=$(date +%s.%N)
ip netns exec "$C" "$PY3" -c 'import socket, sys, time
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        socket.create_connection((sys.argv[1], 80), 0.5).close()
    except OSError:
        pass
    time.sleep(0.3)' "$A_S" 30 &
TRAFFIC_PID=$!
PIDS+=("$TRAFFIC_PID")
if wait_for 30 grep -Eq "IKE_SA with $A_S \(rule web\) dead" "$TMP/client.log"; then
	t_dead=$(date +%s.%N)
	secs=$(printf %.1f "$(echo "$t_dead - $t_cut" | bc)")
	ok "client logs the peer dead after $secs s (its clock: $(echo "$secs * $SPEED" | bc) s)"
else
	bad "client never declared the peer dead"
fi
grep -E "IKE_SA with .* dead" "$TMP/client.log"
kill "$TRAFFIC_PID" 2>/dev/null
wait "$TRAFFIC_PID" 2>/dev/null
capture_stop
# udp[26]: the IKE header's exchange type (RFC 7296 3.1), 37 = INFORMATIONAL
n_req=$(pcap_count "$TMP/dpd.pcap" "src host $A_C and dst host $A_S and udp port 500")
n_dpd=$(pcap_count "$TMP/dpd.pcap" "src host $A_C and dst host $A_S and udp port 500" \
	"and udp[26] = 37")
n_ans=$(pcap_count "$TMP/dpd.pcap" "src host $A_S and udp port 500")
n_init=$(pcap_count "$TMP/dpd.pcap" "src host $A_C and dst host $A_S and udp port 500" \
	"and udp[26] = 34")
echo "while cut off: client sent $n_req IKE requests ($n_dpd INFORMATIONAL, $n_init IKE_SA_INIT)," \
	"server answered $n_ans"
check "liveness check (INFORMATIONAL) sent once and retransmitted 5 times, unanswered" \
	[ "$n_dpd $n_ans" = "6 0" ]
# Connection attempts still going out after the death may start a new IKE_SA_INIT (a new
# acquire, on a loaded machine before the traffic stops): nothing else.
check "no other requests than those and IKE_SA_INIT for new traffic" \
	[ "$n_req" -eq $((n_dpd + n_init)) ]
dead_ike_gone() { # the IKE SA from before the cut is listed neither by status nor by sa
	[ -n "$old_ike" ] &&
		! ESPRIT_CONTROL="$TMP/client.sock" "$ESPRIT" status | grep -q "${old_ike#0x}:" &&
		[ "$(sa_eval "$TMP/client.sock" "[s for s in ike_sas if s['spi_i'] == '$old_ike']")" = "[]" ]
}
check "client's dead IKE SA is gone (esprit status, esprit sa)" dead_ike_gone
check "client's Child SAs are gone (esprit sa)" [ "$(sa_web "$TMP/client.sock")" -eq 0 ]
check "client removed the pair" grep -Eq "child [0-9]+ \(web\) removed" "$TMP/client.log"

# ---- the server comes back: new traffic negotiates again ---------------------------------------
kill -CONT "$PIDSV"
n_inst=$(grep -Ec "child [0-9]+ \(web\) installed" "$TMP/client.log")
check "download after the peer came back is byte-identical" get "$TMP/got2.bin"
check "client negotiated a new pair (acquire)" \
	[ "$(grep -Ec "child [0-9]+ \(web\) installed" "$TMP/client.log")" -eq $((n_inst + 1)) ]
check "client holds one IKE SA and one pair again" \
	[ "$(n_ike_sas) $(sa_web "$TMP/client.sock")" = "1 2" ]
check "server dropped the stale IKE SA on INITIAL_CONTACT" \
	wait_for 5 grep -q "INITIAL_CONTACT: dropping an old IKE SA" "$TMP/server.log"
check "server holds exactly the new pair" [ "$(sa_web "$TMP/server.sock")" -eq 2 ]

espritd_stop_all "$C:$PIDC" "$S:$PIDSV"
net_finish "$TMP/client.log" "$TMP/server.log"
