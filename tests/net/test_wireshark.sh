#!/usr/bin/env bash
# esprit export-wireshark, stats and sa against real traffic: nginx on the server, curl on the
# client, manual transport-mode ESP SAs for TCP port 80, a capture on the server's veth.
#
#   ns C (client: curl, espritd)   ns W (bridge br0)   ns S (server: nginx :80, espritd)
#   A_C vc --------------------- wc     br0     ws --------------------- vs A_S  <- capture
#                                        |
#                                        wt ---- vt A_T  ns T (unused third host)
#
# Checks: tshark given `esprit export-wireshark --keys` decrypts the capture back to the HTTP
# "GET /" request and the "200 OK" response holding the page's text (unique to this run), for
# both directions' SAs; given `esprit export-wireshark` (no keys) it does not, and the page's
# text is nowhere in the capture. espritd logs the key export at NOTICE without the keys.
# `esprit stats --json` moved by what the download carried (Confidential Bytes Sent on the
# server and Received on the client above the file's size, authenticated = confidential =
# transport bytes, no tunnel bytes, no drops); `esprit sa --json` packet counts equal the ESP
# packets of each SPI in the capture, exactly; `esprit sa` and `esprit status` show them.
# Garbage and oversized requests on the control socket get error replies; the daemon lives on.
# Variants: ESPRIT_NET_ALG=gcm|cbc (AES-GCM-128, or AES-CBC-128 + HMAC-SHA2-256-128),
# ESPRIT_NET_ENCAP=udp (ESP in UDP 4500, RFC 3948), ESPRIT_NET_FAMILY=4|6;
# test_wireshark_cbc_udp.sh runs CBC+HMAC over UDP 4500.
set -uo pipefail
# shellcheck source=tests/net/lib.sh
. "$(dirname "$0")/lib.sh"

net_init wshk curl openssl nginx tshark
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || {
	echo "no $ESPRIT"
	exit 1
}
net_variant 43 gcm
net_topology
espritd_pair "selector tcp port 80" "selector tcp sport 80"
ok "espritd runs in client and server"

# esprit in namespace NS against its daemon.
esp() { # esp NS SOCKET ARGS...
	local ns="$1" sock="$2"
	shift 2
	ip netns exec "$ns" "$ESPRIT" "$@" --control "$sock"
}
jget() { # jget FILE PYEXPR: PYEXPR over the JSON document d in FILE
	"$PY3" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# ---- status ----------------------------------------------------------------------------------
esp "$C" "$CS" status >"$TMP/status.txt"
check "status: steering on" grep -Eq '^  steering +on$' "$TMP/status.txt"
check "status: two manual SAs" grep -Eq '^  SAs +2 \(manual 2, IKE 0; inbound 1, outbound 1\)$' \
	"$TMP/status.txt"
esp "$C" "$CS" status --json >"$TMP/status.json"
check "status --json: pid is the daemon's" [ "$(jget "$TMP/status.json" 'd["pid"]')" = "$PIDC" ]

esp "$C" "$CS" stats --json >"$TMP/c0.json"
esp "$S" "$SS" stats --json >"$TMP/s0.json"

# ---- HTTP over the SAs, captured --------------------------------------------------------------
TOKEN="esprit-ws-$(openssl rand -hex 8)"
SIZE=300000
mkdir -p "$TMP/nginx/www"
echo "<html><body>page $TOKEN</body></html>" >"$TMP/nginx/www/index.html"
head -c "$SIZE" /dev/urandom >"$TMP/nginx/www/big.bin"
chmod -R a+rX "$TMP/nginx"
nginx_start "$S" "$TMP/nginx" "$A_S" || bad "nginx did not start: $(cat "$TMP/nginx/stderr")"
CAP="$TMP/wire.pcap"
capture_start "$S" vs "$CAP" -B 65536 || bad "tcpdump did not start"
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/index.html" "http://$URL_S/" &&
	in_ns "$C" curl -sS --max-time 60 -o "$TMP/big.bin" "http://$URL_S/big.bin"; then
	ok "curl fetches the page and a $SIZE-byte file through ESP"
else
	bad "curl through ESP failed"
fi
check "page is the server's" grep -q "$TOKEN" "$TMP/index.html"
check "file is byte-identical" cmp -s "$TMP/nginx/www/big.bin" "$TMP/big.bin"
capture_stop

# ---- the capture without keys -------------------------------------------------------------------
SPI_CS=0x00001001 SPI_SC=0x00001002
n_plain=$(pcap_count "$CAP" "tcp port 80")
check "no plaintext TCP port 80 on the wire" [ "$n_plain" -eq 0 ]
check "the page's text is not in the capture" bash -c "! grep -qa '$TOKEN' '$CAP'"
n_cs=$(tshark -r "$CAP" -Y "esp.spi == $SPI_CS" 2>/dev/null | wc -l)
n_sc=$(tshark -r "$CAP" -Y "esp.spi == $SPI_SC" 2>/dev/null | wc -l)
# The exact per-SA comparison below needs every packet: a large capture buffer (-B), checked.
check "the capture lost no packets" grep -q '^0 packets dropped by kernel' "$CAP.log"
echo "tcpdump: $(pcap_count "$CAP") packets, $(pcap_count "$CAP" "$IPV proto 50") ESP, $(pcap_count "$CAP" udp port 4500) UDP 4500"
echo "capture: $n_cs ESP packets with SPI $SPI_CS (client -> server), $n_sc with $SPI_SC"
check "ESP both ways in the capture" bash -c '[ "$1" -gt 10 ] && [ "$2" -gt 10 ]' _ "$n_cs" "$n_sc"

# tshark_http EXPORT OUT: decode the capture with the esp_sa lines in EXPORT; HTTP fields in OUT.
tshark_http() {
	local args=(-o esp.enable_encryption_decode:TRUE) line
	while IFS= read -r line; do
		args+=(-o "uat:esp_sa:$line")
	done < <(grep -v '^#' "$1")
	tshark -r "$CAP" "${args[@]}" -Y http -T fields -e http.request.method \
		-e http.request.uri -e http.response.code -e http.file_data >"$2" 2>"$2.err"
}
esp "$C" "$CS" export-wireshark >"$TMP/nokeys.uat"
check "export without keys: one line per ESP SA" [ "$(grep -vc '^#' "$TMP/nokeys.uat")" -eq 2 ]
check "export without keys: says how to get them" grep -q -- "--keys" "$TMP/nokeys.uat"
check "export without keys: key fields empty" \
	bash -c "grep -v '^#' '$TMP/nokeys.uat' | grep -Eq '^\"IPv$FAMILY\",\"$A_C\",\"$A_S\",\"$SPI_CS\",\"[^\"]+\",\"\",\"[^\"]+\",\"\"$'"
tshark_http "$TMP/nokeys.uat" "$TMP/http.nokeys"
check "tshark without the keys shows no HTTP" [ ! -s "$TMP/http.nokeys" ]

# ---- with the keys ------------------------------------------------------------------------------
esp "$C" "$CS" export-wireshark --keys >"$TMP/keys.uat"
grep -v '^#' "$TMP/keys.uat" | sed 's/0x[0-9a-f]\{16,\}/0x.../g'
tshark_http "$TMP/keys.uat" "$TMP/http.keys"
check "tshark with the keys decrypts the request 'GET /'" \
	grep -Pq '^GET\t/\t' "$TMP/http.keys"
check "... and the response '200' holding the page" grep -Pq "^\t\t200\t.*$TOKEN" "$TMP/http.keys"
check "... and the file's request" grep -Pq '^GET\t/big.bin\t' "$TMP/http.keys"
k1=$(sed 's/^0x//' "$TMP/k1")
# The key file holds the encryption key (salt included) then the integrity key.
exported=$(awk -F'"' -v spi="$SPI_CS" '$8 == spi { print $12 $16 }' "$TMP/keys.uat" | sed 's/0x//g')
check "the exported keys are the configured ones" [ "$exported" = "$k1" ]
if [ "$PROTO" = esp ] && [ "${ESPRIT_NET_ALG:-gcm}" = cbc ]; then
	# Wireshark verifies HMAC ICVs itself: every ESP packet of the capture must pass.
	args=(-o esp.enable_authentication_check:TRUE -o esp.enable_encryption_decode:TRUE)
	while IFS= read -r line; do args+=(-o "uat:esp_sa:$line"); done < <(grep -v '^#' "$TMP/keys.uat")
	n_good=$(tshark -r "$CAP" "${args[@]}" -Y "esp.icv_good == 1" 2>/dev/null | wc -l)
	check "tshark verifies the HMAC of all $((n_cs + n_sc)) ESP packets ($n_good)" \
		[ "$n_good" -eq $((n_cs + n_sc)) ]
fi
check "espritd logged the export at NOTICE" grep -q "key material of 2 SAs exported" \
	"$TMP/client.log"
check "... and never the keys" bash -c "! grep -qi '$k1' '$TMP/client.log'"

# ---- counters ----------------------------------------------------------------------------------
esp "$C" "$CS" stats --json >"$TMP/c1.json"
esp "$S" "$SS" stats --json >"$TMP/s1.json"
esp "$C" "$CS" sa --json >"$TMP/csa.json"
esp "$C" "$CS" sa >"$TMP/csa.txt"
delta() { # delta NAME BEFORE AFTER KEY
	echo $(($(jget "$3" "d['quick_mode']['$4']") - $(jget "$2" "d['quick_mode']['$4']")))
}
c_conf_rx=$(delta c "$TMP/c0.json" "$TMP/c1.json" confidential_bytes_received)
c_conf_tx=$(delta c "$TMP/c0.json" "$TMP/c1.json" confidential_bytes_sent)
s_conf_tx=$(delta s "$TMP/s0.json" "$TMP/s1.json" confidential_bytes_sent)
s_conf_rx=$(delta s "$TMP/s0.json" "$TMP/s1.json" confidential_bytes_received)
echo "stats: client confidential bytes +$c_conf_tx sent, +$c_conf_rx received;" \
	"server +$s_conf_tx sent, +$s_conf_rx received"
check "server: Confidential Bytes Sent grew by more than the file ($SIZE)" [ "$s_conf_tx" -gt "$SIZE" ]
check "client: Confidential Bytes Received grew by more than the file" [ "$c_conf_rx" -gt "$SIZE" ]
check "client received exactly what the server sent" [ "$c_conf_rx" -eq "$s_conf_tx" ]
check "server received exactly what the client sent" [ "$s_conf_rx" -eq "$c_conf_tx" ]
check "client sent less than it received (requests and ACKs)" [ "$c_conf_tx" -lt "$c_conf_rx" ]
for k in sent received; do
	check "client: Authenticated Bytes ${k^} = Confidential = Transport (ESP, transport mode)" \
		[ "$(jget "$TMP/c1.json" "d['quick_mode']['authenticated_bytes_$k'] == d['quick_mode']['confidential_bytes_$k'] == d['quick_mode']['transport_bytes_$k']")" = True ]
done
check "client: no bytes in tunnels, no active tunnels" \
	[ "$(jget "$TMP/c1.json" "(d['quick_mode']['tunnel_bytes_sent'], d['quick_mode']['tunnel_bytes_received'], d['quick_mode']['active_tunnels'])")" = "(0, 0, 0)" ]
check "client: Active Security Associations 2, Key Additions 2" \
	[ "$(jget "$TMP/c1.json" "(d['quick_mode']['active_sas'], d['quick_mode']['key_additions'])")" = "(2, 2)" ]
check "no bad SPI, undecryptable, unauthenticated or replayed packets" \
	[ "$(jget "$TMP/s1.json" "[d['quick_mode'][k] for k in ('bad_spi_packets', 'packets_not_decrypted', 'packets_not_authenticated', 'packets_replay_detected')]")" = "[0, 0, 0, 0]" ]
check "no Main Mode section without IKE" [ "$(jget "$TMP/c1.json" "'main_mode' in d")" = False ]
sa_pk() { jget "$TMP/csa.json" "[s['packets'] for s in d['sas'] if s['spi'] == '$1'][0]"; }
echo "client SAs: $SPI_CS $(sa_pk $SPI_CS) packets, $SPI_SC $(sa_pk $SPI_SC) packets"
check "client's outbound SA counted exactly the ESP packets of $SPI_CS on the wire ($n_cs)" \
	[ "$(sa_pk $SPI_CS)" = "$n_cs" ]
check "client's inbound SA counted exactly the ESP packets of $SPI_SC on the wire ($n_sc)" \
	[ "$(sa_pk $SPI_SC)" = "$n_sc" ]
check "sa --json: selectors, origin, replay window of the inbound SA" \
	[ "$(jget "$TMP/csa.json" "[(s['origin'], s['selectors'] != [], s['replay_window'] > 0) for s in d['sas'] if s['dir'] == 'in'][0]")" = "('manual', True, True)" ]
check "sa: both SAs listed with their packet counts" \
	bash -c "grep -Eq '^SA $SPI_CS  esp transport outbound  $A_C -> $A_S$' '$TMP/csa.txt' &&
		grep -Eq '^  traffic +$(sa_pk $SPI_SC) packets, ' '$TMP/csa.txt'"

# ---- garbage on the control socket -------------------------------------------------------------
raw() { in_ns "$C" "$PY3" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
s.send(bytes.fromhex(sys.argv[2]))
print(s.recv(1 << 17).decode(errors="replace"))' "$CS" "$1"; }
check "an oversized request gets an error reply" \
	bash -c "$(declare -f raw in_ns); PY3=$PY3 C=$C CS=$CS; raw $(printf 'ab%.0s' $(seq 5000)) | grep '^error request too long$' >/dev/null"
check "binary garbage gets an error reply" \
	bash -c "$(declare -f raw in_ns); PY3=$PY3 C=$C CS=$CS; raw 00ff1b5b32 | grep '^error malformed request$' >/dev/null"
check "another protocol version is refused" \
	bash -c "$(declare -f raw in_ns); PY3=$PY3 C=$C CS=$CS; raw $("$PY3" -c 'print(b"esprit-ctl 9 sa".hex())') | grep '^error unsupported protocol version$' >/dev/null"
check "the daemon still answers" esp "$C" "$CS" status

# ---- stop ---------------------------------------------------------------------------------------
for pn in "$C:$PIDC" "$S:$PIDSV"; do
	kill -TERM "${pn#*:}"
	wait "${pn#*:}" 2>/dev/null
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
done
net_finish "$TMP/client.log" "$TMP/server.log" "$TMP/http.keys.err"
