#!/usr/bin/env bash
# esprit stats: each Windows IP Security Monitor counter moves for the reason esprit(8) gives,
# by exactly the number of packets that have that reason, and the byte counters split by what
# the SAs are (encrypting or not, transport or tunnel).
#
#   ns C (client: curl, espritd)   ns W (bridge br0)   ns S (server: nginx :80, espritd)
#   A_C vc --------------------- wc     br0     ws --------------------- vs A_S
#                                        |
#                                        wt ---- vt A_T  ns T: scapy forges packets as A_C
#
# After a download through manual SAs for TCP port 80, T sends S (spoofing C, scapy as the
# independent encoder, tests/net/esp_inject.py): one valid packet whose inner packet is outside
# the selectors, one valid packet twice (the copy is a replay), one with a flipped bit (ICV
# failure) and one valid packet under an SPI S does not have. Then, on S, exactly: Packets
# With Replay Detection +1, Packets Not Authenticated +1, Bad SPI Packets +1, Packets Not
# Decrypted +0, the selector drop +1; per SA (`esprit sa --json`) the replay and ICV drops on
# the inbound SA. Byte counters: the server's sent bytes exceed the file; with ESP,
# authenticated = confidential bytes; with AH, confidential bytes stay 0; in transport mode
# transport bytes = authenticated and tunnel bytes 0, in tunnel mode the reverse with one
# active tunnel per host.
# Variants: ESPRIT_NET_ALG=gcm|ah, ESPRIT_NET_MODE=transport|tunnel (test_stats_ah.sh: AH,
# test_stats_tunnel.sh: ESP tunnel mode).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init stat curl openssl nginx
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || {
	echo "no $ESPRIT"
	exit 1
}
MODE=${ESPRIT_NET_MODE:-transport}
net_family 4 44
net_alg "${ESPRIT_NET_ALG:-gcm}"
echo "variant: $ALG, $MODE mode"
net_topology
net_sa_confs "" "selector tcp port 80" "selector tcp sport 80"
INJ_OPTS=()
[ "$PROTO" = ah ] && INJ_OPTS+=(ah)
if [ "$MODE" = tunnel ]; then
	sed -i 's/ transport / tunnel /' "$TMP/client.conf" "$TMP/server.conf"
	INJ_OPTS+=(tunnel)
fi

espritd_start "$C" "$TMP/client.conf" "$TMP/client.log" || net_finish "$TMP/client.log"
PIDC=$ESPRITD_PID
espritd_start "$S" "$TMP/server.conf" "$TMP/server.log" || net_finish "$TMP/server.log"
PIDSV=$ESPRITD_PID
SS="$TMP/server.sock"
ok "espritd runs in client and server"

esp() { # esp NS SOCKET ARGS...
	local ns="$1" sock="$2"
	shift 2
	ip netns exec "$ns" "$ESPRIT" "$@" --control "$sock"
}
jget() { # jget FILE PYEXPR: PYEXPR over the JSON document d in FILE
	"$PY3" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
qm() { jget "$1" "d['quick_mode']['$2']"; }
# drop_in FILE REASON: the inbound drop count for REASON (0 when not listed).
drop_in() { jget "$1" "sum(x['count'] for x in d['drops'] if x['where'] == 'inbound' and x['reason'] == '$2')"; }

# ---- traffic ---------------------------------------------------------------------------------
SIZE=200000
mkdir -p "$TMP/nginx/www"
head -c "$SIZE" /dev/urandom >"$TMP/nginx/www/big.bin"
chmod -R a+rX "$TMP/nginx"
nginx_start "$S" "$TMP/nginx" "$A_S" || bad "nginx did not start: $(cat "$TMP/nginx/stderr")"
check "curl downloads $SIZE bytes through the SAs" \
	in_ns "$C" curl -sS --max-time 60 -o "$TMP/big.bin" "http://$URL_S/big.bin"
check "download is byte-identical" cmp -s "$TMP/nginx/www/big.bin" "$TMP/big.bin"

esp "$S" "$SS" stats --json >"$TMP/s0.json"
esp "$S" "$SS" sa --json >"$TMP/sa0.json"

# ---- byte counters ----------------------------------------------------------------------------
sent=$(qm "$TMP/s0.json" authenticated_bytes_sent)
echo "server: authenticated bytes sent $sent, confidential $(qm "$TMP/s0.json" confidential_bytes_sent)," \
	"transport $(qm "$TMP/s0.json" transport_bytes_sent), in tunnels $(qm "$TMP/s0.json" tunnel_bytes_sent)"
check "Authenticated Bytes Sent above the file's size" [ "$sent" -gt "$SIZE" ]
check "Authenticated Bytes Sent = the outbound SA's byte counter" \
	[ "$sent" = "$(jget "$TMP/sa0.json" "[s['bytes'] for s in d['sas'] if s['dir'] == 'out'][0]")" ]
for dir in sent received; do
	auth=$(qm "$TMP/s0.json" "authenticated_bytes_$dir")
	if [ "$PROTO" = ah ]; then
		check "AH: Confidential Bytes ${dir^} stay 0" [ "$(qm "$TMP/s0.json" "confidential_bytes_$dir")" = 0 ]
	else
		check "ESP: Confidential Bytes ${dir^} = Authenticated" \
			[ "$(qm "$TMP/s0.json" "confidential_bytes_$dir")" = "$auth" ]
	fi
	if [ "$MODE" = tunnel ]; then
		check "tunnel mode: Bytes ${dir^} In Tunnels = Authenticated, Transport Bytes 0" \
			[ "$(qm "$TMP/s0.json" "tunnel_bytes_$dir"):$(qm "$TMP/s0.json" "transport_bytes_$dir")" = "$auth:0" ]
	else
		check "transport mode: Transport Bytes ${dir^} = Authenticated, none in tunnels" \
			[ "$(qm "$TMP/s0.json" "transport_bytes_$dir"):$(qm "$TMP/s0.json" "tunnel_bytes_$dir")" = "$auth:0" ]
	fi
done
check "Active Security Associations 2, Active Tunnels $([ "$MODE" = tunnel ] && echo 1 || echo 0)" \
	[ "$(qm "$TMP/s0.json" active_sas):$(qm "$TMP/s0.json" active_tunnels)" = \
		"2:$([ "$MODE" = tunnel ] && echo 1 || echo 0)" ]

# ---- forged packets from T ---------------------------------------------------------------------
INJ="$(dirname "$0")/esp_inject.py"
for kind in policy:1000000 replay:1000001 tamper:1000002; do
	in_ns "$T" "$PY3" "$INJ" "$TMP/k1" 0x1001 "$A_C" "$A_S" "${kind#*:}" "${kind%%:*}" \
		"${INJ_OPTS[@]}" || bad "esp_inject.py ${kind%%:*} failed"
done
# A valid packet under an SPI the server does not have.
in_ns "$T" "$PY3" "$INJ" "$TMP/k1" 0x7777 "$A_C" "$A_S" 5 policy "${INJ_OPTS[@]}" ||
	bad "esp_inject.py unknown SPI failed"
wait_for 5 bash -c "[ \$(ip netns exec $S $ESPRIT stats --control $SS | grep -c 'Bad SPI Packets *[1-9]') = 1 ]"
esp "$S" "$SS" stats --json >"$TMP/s1.json"
esp "$S" "$SS" sa --json >"$TMP/sa1.json"
d() { echo $(($(qm "$TMP/s1.json" "$1") - $(qm "$TMP/s0.json" "$1"))); }
echo "deltas: replay $(d packets_replay_detected), not authenticated $(d packets_not_authenticated)," \
	"bad SPI $(d bad_spi_packets), not decrypted $(d packets_not_decrypted)"
check "Packets With Replay Detection +1 (the replayed copy)" [ "$(d packets_replay_detected)" = 1 ]
check "Packets Not Authenticated +1 (the flipped bit)" [ "$(d packets_not_authenticated)" = 1 ]
check "Bad SPI Packets +1 (SPI 0x7777)" [ "$(d bad_spi_packets)" = 1 ]
check "Packets Not Decrypted +0" [ "$(d packets_not_decrypted)" = 0 ]
sel="inner packet outside SA selectors"
check "selector drop +1 (the packet outside tcp port 80)" \
	[ $(($(drop_in "$TMP/s1.json" "$sel") - $(drop_in "$TMP/s0.json" "$sel"))) = 1 ]
sa_in() { jget "$1" "[s['$2'] for s in d['sas'] if s['dir'] == 'in'][0]"; }
sa_drop() { jget "$1" "sum(x['count'] for s in d['sas'] if s['dir'] == 'in' for x in s['drop_reasons'] if x['reason'] == '$2')"; }
check "inbound SA: replay_drops +1" [ $(($(sa_in "$TMP/sa1.json" replay_drops) - $(sa_in "$TMP/sa0.json" replay_drops))) = 1 ]
check "inbound SA: ICV failure +1" [ $(($(sa_drop "$TMP/sa1.json" "ICV failure") - $(sa_drop "$TMP/sa0.json" "ICV failure"))) = 1 ]
check "inbound SA: the two valid forged packets counted (policy, replay original)" \
	[ $(($(sa_in "$TMP/sa1.json" packets) - $(sa_in "$TMP/sa0.json" packets))) = 2 ]
check "inbound SA: window top at the forged sequence number" \
	[ "$(sa_in "$TMP/sa1.json" replay_top)" = 1000001 ]
esp "$S" "$SS" stats >"$TMP/s1.txt"
check "stats text: Windows labels with the values" \
	grep -Eq "^  Packets With Replay Detection +$(qm "$TMP/s1.json" packets_replay_detected)$" "$TMP/s1.txt"
check "stats text: the inbound replay drop listed" grep -Eq '^  inbound: replay +[1-9]' "$TMP/s1.txt"

for pn in "$C:$PIDC" "$S:$PIDSV"; do
	kill -TERM "${pn#*:}"
	wait "${pn#*:}" 2>/dev/null
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
done
net_finish "$TMP/client.log" "$TMP/server.log"
