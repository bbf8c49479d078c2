#!/usr/bin/env bash
# espritd <-> espritd with IKEv2 (RFC 7296), preshared key, ESP transport mode for TCP port 80.
#
#   ns C (client, initiator)   ns W (bridge)   ns S (server, responder, requires IPsec)
#   A_C curl ------------------------------------------ A_S nginx :80
#   ns T (third host, no esprit) A_T ------------------/
#
# No manual keys: the first SYN from curl has no SA, is held by the client's espritd while
# IKE_SA_INIT and IKE_AUTH run, and goes out once the Child SA is installed. Checks: the
# download is byte-identical; on the server's wire there is UDP 500 and ESP and no plaintext
# TCP port 80; T's plaintext connection is dropped; both control sockets list the negotiated
# pair (origin = the rule name); the held SYNs were sent through the new SA; the server's
# SIGTERM sends DELETE (the client removes the pair), a restarted server is negotiated with
# again and a second download works; a SIGKILLed and restarted client negotiates anew with
# INITIAL_CONTACT and the server keeps only the new pair; both daemons leave nothing behind.
# ESPRIT_NET_FAMILY=6: the same over IPv6 (test_ike_psk6.sh). ESPRIT_IKE_LIFE=N: Child SA
# lifetime N seconds, so a long rate-limited transfer crosses rekeys (test_ike_rekey.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike_lib.sh"
net_init ikp curl openssl cmp nginx
net_family "${ESPRIT_NET_FAMILY:-4}" 7
ESPRIT="$ESPRIT_BUILD/esprit"
net_topology

# ---- configurations: one PSK, the client initiates, the server requires ----------------------
LIFE=${ESPRIT_IKE_LIFE:-3600}
ike_psk_confs "${LIFE}s" # any client must use IPsec with the server

ike_pair_start
check "both daemons run IKE" grep -q "IKE on" "$TMP/client.log" "$TMP/server.log"
check "server listens on UDP 500" bash -c "ip netns exec $S ss -Hnul | grep -q ':500 '"

# ---- HTTP over negotiated SAs --------------------------------------------------------------
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
head -c 3000000 /dev/urandom >"$TMP/ngx/www/data.bin"
capture_start "$S" vs "$TMP/wire.pcap"
if in_ns "$C" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_S/data.bin"; then
	ok "curl through negotiated ESP succeeds (first SYN held during IKE)"
else
	bad "curl through negotiated ESP failed"
fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
if in_ns "$T" curl -sS --max-time 3 -o /dev/null "http://$URL_S/data.bin" 2>/dev/null; then
	bad "plaintext connection from the third host to port 80 was accepted"
else
	ok "plaintext connection from the third host to port 80 is dropped"
fi
capture_stop

check "client: negotiated SAs listed by 'esprit sa' with origin web" \
	[ "$(sa_count "$TMP/client.sock" web)" -gt 0 ]
check "server: negotiated SAs listed by 'esprit sa' with origin web" \
	[ "$(sa_count "$TMP/server.sock" web)" -gt 0 ]
check "client installed a negotiated pair for rule web" \
	grep -Eq "child [0-9]+ \(web\) installed" "$TMP/client.log"

n_ike=$(pcap_count "$TMP/wire.pcap" "udp port 500")
n_esp=$(pcap_count "$TMP/wire.pcap" "$IPV proto 50")
n_clear=$(pcap_count "$TMP/wire.pcap" "tcp port 80 and host $A_C")
echo "wire: $n_ike IKE datagrams, $n_esp ESP packets, $n_clear plaintext TCP 80 from the client"
check "IKE_SA_INIT and IKE_AUTH on UDP 500 seen on the wire" [ "$n_ike" -ge 4 ]
check "ESP carried the download" [ "$n_esp" -ge 1000 ]
check "no plaintext TCP port 80 between client and server" [ "$n_clear" -eq 0 ]

# ---- SIGHUP on the client: the negotiated pair survives the reload ----------------------------
n_inst=$(grep -Ec "child [0-9]+ \(web\) installed" "$TMP/client.log")
kill -HUP "$PIDC"
check "client reloads its configuration with IKE running" \
	wait_for 10 grep -q "reload: .* SAs kept" "$TMP/client.log"
rm -f "$TMP/got.bin"
if in_ns "$C" curl -sS --max-time 30 -o "$TMP/got.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"; then
	ok "download after the reload"
else
	bad "no download after the reload"
fi
check "the reload kept the negotiated pair (no new negotiation)" \
	[ "$(grep -Ec "child [0-9]+ \(web\) installed" "$TMP/client.log")" -eq "$n_inst" ]

# ---- restart of the server: the client negotiates again ---------------------------------------
kill -TERM "$PIDSV"
rc=0
wait "$PIDSV" || rc=$?
check "server exits 0 on SIGTERM and leaves nothing behind" \
	bash -c "[ $rc -eq 0 ] && $(declare -f espritd_gone in_ns); espritd_gone $S"
check "client removed the pair on the server's DELETE" \
	wait_for 10 grep -Eq "child [0-9]+ \(web\) removed" "$TMP/client.log"
espritd_start "$S" "$TMP/server.conf" "$TMP/server2.log" || net_finish "$TMP/server2.log"
PIDSV=$ESPRITD_PID
rm -f "$TMP/got.bin"
if in_ns "$C" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"; then
	ok "download after the server's restart (re-established)"
else
	bad "no download after the server's restart"
fi

# ---- the client dies (SIGKILL) and comes back: INITIAL_CONTACT clears its stale SAs -----------
kill -KILL "$PIDC"
wait "$PIDC" 2>/dev/null
espritd_start "$C" "$TMP/client.conf" "$TMP/client2.log" || net_finish "$TMP/client2.log"
PIDC=$ESPRITD_PID
rm -f "$TMP/got.bin"
if in_ns "$C" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_S/data.bin" &&
	cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"; then
	ok "download after the client was killed and restarted"
else
	bad "no download after the client was killed and restarted"
fi
check "server dropped the dead client's IKE SA on INITIAL_CONTACT" \
	grep -q "INITIAL_CONTACT: dropping an old IKE SA" "$TMP/server2.log"
n_pairs=$(sa_count "$TMP/server2.sock" web)
check "server holds exactly one pair (in + out) for the client afterwards ($n_pairs SAs)" \
	[ "${n_pairs:-x}" = 2 ]

# ---- rekeys during a transfer ----------------------------------------------------------------
if [ "$LIFE" -le 60 ]; then
	head -c 60000000 /dev/urandom >"$TMP/ngx/www/big.bin"
	if in_ns "$C" curl -sS --max-time 120 --limit-rate 4M -o "$TMP/big.got" \
		"http://$URL_S/big.bin" && cmp -s "$TMP/ngx/www/big.bin" "$TMP/big.got"; then
		ok "15 s transfer intact across rekeys (no failed request, no reset)"
	else
		bad "long transfer failed across rekeys"
	fi
	n_rk=$(grep -Ec "child [0-9]+ \(web\) installed: .*\(rekey\)" "$TMP/client2.log")
	check "client installed rekeyed pairs during the transfer ($n_rk)" [ "$n_rk" -ge 2 ]
fi

kill -TERM "$PIDC"
wait "$PIDC"
check "client exits 0 on SIGTERM" [ $? -eq 0 ]
CLOG2=$TMP/client2.log
check "nothing of esprit left in the client" espritd_gone "$C"
# Counted at exit: packets held during acquires and sent once the SA was there (the SYNs).
check "client held packets during acquires and sent them through the new SAs" \
	grep -Eq "acquire: held [1-9][0-9]*, sent [1-9]" "$CLOG2"
net_finish "$TMP/client.log" "$TMP/client2.log" "$TMP/server.log" "$TMP/server2.log"
