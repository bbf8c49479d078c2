#!/usr/bin/env bash
# esprit status / sa / stats with IKE: two espritd negotiate one Child SA pair (IKEv2, PSK,
# ESP transport for TCP port 80) when curl fetches a file, and the control commands show it.
#
#   ns C (client, initiator)   ns W (bridge)   ns S (server, responder)
#   A_C curl ------------------------------------------ A_S nginx :80
#
# Checks, on both hosts: `esprit status --json` says IKE on, one IKE SA (state ESTABLISHED,
# this host's role) and two IKE SAs' worth of Child SAs (sas_ike 2, sas_manual 0);
# `esprit sa --json` lists both SAs with origin = the rule name and a child id, the inbound one
# with its replay window; the IKE SA's expire_seconds_left (and the text "expires in") is
# ike-lifetime 600s less its age; `esprit stats --json` has the Main Mode section: one active IKE SA,
# IKE Main Mode 1 (IKE SAs established), IKE Quick Mode 1 (Child SAs established), Key
# Additions 2 (two keys per pair), Key Deletions 0, no authentication failures; the client
# counted one acquire; Confidential Bytes Sent on the server exceed the file; the human
# `esprit stats` prints the "Main Mode (IKE)" section. A SIGHUP after new nat-keepalive,
# dpd-delay, ike-fragment-size and ike-cookie-threshold lines hands them to the engine (its log
# line).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike_lib.sh"
net_init stik curl openssl nginx tshark
net_family 4 45
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || {
	echo "no $ESPRIT"
	exit 1
}
net_topology

ike_psk_confs 3600s "ike-lifetime 600s"

ike_pair_start
if ! grep -q "IKE on" "$TMP/client.log"; then
	skip "this espritd does not run IKE"
fi

SIZE=300000
mkdir -p "$TMP/ngx/www"
head -c "$SIZE" /dev/urandom >"$TMP/ngx/www/data.bin"
chmod -R a+rX "$TMP/ngx"
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
capture_start "$C" vc "$TMP/ike.pcap" udp port 500 or udp port 4500
T0=$SECONDS
check "curl through negotiated ESP" \
	in_ns "$C" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_S/data.bin"
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
capture_stop # the IKE SA is up, so both IKE_SA_INIT messages went through vc already

# What the wire says about the IKE SA: the SPIs and the transforms the responder chose, from
# tshark's dissection of the IKE_SA_INIT response (exchange type 34, R flag; RFC 7296 1.2).
tshark -r "$TMP/ike.pcap" -Y 'isakmp.exchangetype == 34 && isakmp.flag_r == 1' -T fields \
	-E separator=' ' -e isakmp.ispi -e isakmp.rspi -e isakmp.tf.id.encr \
	-e isakmp.ike2.attr.key_length -e isakmp.tf.id.prf -e isakmp.tf.id.integ \
	-e isakmp.tf.id.dh 2>/dev/null | awk 'NF >= 5' | tail -1 >"$TMP/init.wire"
echo "IKE_SA_INIT response on the wire: $(cat "$TMP/init.wire")"
# wire_ike HOST_ROLE LOCAL REMOTE: the IKE SA as `esprit sa --json` should list it, from the wire.
wire_ike() {
	"$PY3" - "$TMP/init.wire" "$@" <<'PY'
import sys
f = open(sys.argv[1]).read().split()
ispi, rspi, encr, bits, prf = f[:5]
integ, ke = (f[5], f[6]) if len(f) > 6 else (None, f[5])
# IANA "IKEv2 Transform Type" values (RFC 7296 3.3.2; RFC 5282 GCM, RFC 7634 ChaCha20-Poly1305,
# RFC 4868 HMAC-SHA2, RFC 5903 ECP, RFC 8031 Curve25519, RFC 3526 MODP).
ENCR = {"12": "AES_CBC", "20": "AES_GCM_16", "28": "CHACHA20_POLY1305"}
PRF = {"5": "PRF_HMAC_SHA2_256", "6": "PRF_HMAC_SHA2_384", "7": "PRF_HMAC_SHA2_512"}
INTEG = {"12": "AUTH_HMAC_SHA2_256_128", "13": "AUTH_HMAC_SHA2_384_192", "14": "AUTH_HMAC_SHA2_512_256"}
KE = {"14": "MODP_2048", "15": "MODP_3072", "19": "ECP_256", "20": "ECP_384", "21": "ECP_521", "31": "CURVE25519"}
hexspi = lambda s: "0x" + s.replace(":", "").lower()
print({"spi_i": hexspi(ispi), "spi_r": hexspi(rspi), "state": "ESTABLISHED", "role": sys.argv[2],
       "rule": "web", "local": sys.argv[3] + ":500", "remote": sys.argv[4] + ":500",
       "encr": ENCR.get(encr, encr) + "_" + bits, "prf": PRF.get(prf, prf),
       "integ": INTEG.get(integ, integ) if integ else None, "ke": KE.get(ke, ke)})
PY
}

jget() { # jget FILE PYEXPR: PYEXPR over the JSON document d in FILE
	"$PY3" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
for h in "client:$C:initiator" "server:$S:responder"; do
	IFS=: read -r name ns role <<<"$h"
	sock="$TMP/$name.sock"
	e() { ip netns exec "$ns" "$ESPRIT" "$@" --control "$sock"; }
	e status --json >"$TMP/$name.status"
	e sa --json >"$TMP/$name.sa"
	e stats --json >"$TMP/$name.stats"
	e stats >"$TMP/$name.stats.txt"
	e status >"$TMP/$name.status.txt"
	check "$name: status says IKE on with one IKE SA" \
		[ "$(jget "$TMP/$name.status" '(d["ike"], len(d["ike_sas"]), d["sas"]["ike"], d["sas"]["manual"])')" = "(True, 1, 2, 0)" ]
	check "$name: the IKE SA is ESTABLISHED, rule web, $role" \
		[ "$(jget "$TMP/$name.status" 'd["ike_sas"][0].split()[1:4]')" = "['ESTABLISHED', '$role', 'web']" ]
	check "$name: status text lists the IKE SA" grep -Eq '^    [0-9a-f]+:[0-9a-f]+ ESTABLISHED' "$TMP/$name.status.txt"
	check "$name: sa lists two SAs with origin web and one child id" \
		[ "$(jget "$TMP/$name.sa" '(len(d["sas"]), sorted(set(s["origin"] for s in d["sas"])), len(set(s["child_id"] for s in d["sas"])), min(s["child_id"] for s in d["sas"]) > 0)')" = "(2, ['web'], 1, True)" ]
	check "$name: sa --json lists one IKE SA as the IKE_SA_INIT on the wire says (SPIs, transforms), $role, endpoints on 500" \
		[ "$(jget "$TMP/$name.sa" '[{k: v for k, v in s.items() if k not in ("age", "rekey_seconds_left", "expire_seconds_left", "child_ids")} for s in d["ike_sas"]]')" = \
		"[$(if [ "$name" = client ]; then wire_ike initiator "$A_C" "$A_S"; else wire_ike responder "$A_S" "$A_C"; fi)]" ]
	check "$name: the IKE SA's child ids are those of its Child SAs" \
		[ "$(jget "$TMP/$name.sa" '[s["child_ids"] for s in d["ike_sas"]] == [sorted(set(c["child_id"] for c in d["sas"]))]')" = True ]
	age=$(jget "$TMP/$name.sa" 'd["ike_sas"][0]["age"]')
	left=$(jget "$TMP/$name.sa" 'd["ike_sas"][0]["rekey_seconds_left"]')
	expire=$(jget "$TMP/$name.sa" 'd["ike_sas"][0]["expire_seconds_left"]')
	echo "$name: IKE SA age $age s, rekey in $left s, expires in $expire s (ike-lifetime 600s: rekey at 510-540 s)"
	check "$name: the IKE SA's age is at most the time since the first packet" \
		in_range "$age" 0 $((SECONDS - T0))
	check "$name: the IKE SA rekeys within 85-90 % of ike-lifetime 600s, less its age" \
		in_range "$left" $((510 - SECONDS + T0 - 1)) 540
	# the hard lifetime is ike-lifetime itself (no jitter), counted from establishment
	check "$name: the IKE SA expires at ike-lifetime 600s, less its age" \
		in_range "$expire" $((600 - SECONDS + T0 - 1)) 600
	e sa >"$TMP/$name.sa.txt"
	check "$name: sa text shows the hard lifetime" \
		grep -Eq "^  life +age [0-9]+ s, rekey in [0-9]+ s, expires in [0-9]+ s$" "$TMP/$name.sa.txt"
	check "$name: sa text shows the IKE SA block" \
		grep -Eq "^IKE SA $(jget "$TMP/$name.sa" '"%s:%s" % (d["ike_sas"][0]["spi_i"], d["ike_sas"][0]["spi_r"])')  ESTABLISHED $role  rule web$" "$TMP/$name.sa.txt"
	check "$name: the inbound SA has a replay window" \
		[ "$(jget "$TMP/$name.sa" '[s["replay_window"] > 0 for s in d["sas"] if s["dir"] == "in"]')" = "[True]" ]
	check "$name: Main Mode: 1 active IKE SA, 1 established, 1 Child SA, no auth failures" \
		[ "$(jget "$TMP/$name.stats" 'tuple(d["main_mode"][k] for k in ("ike_active", "ike_main_mode", "ike_quick_mode", "ike_authentication_failures"))')" = "(1, 1, 1, 0)" ]
	check "$name: Key Additions 2, Key Deletions 0, Active SAs 2" \
		[ "$(jget "$TMP/$name.stats" 'tuple(d["quick_mode"][k] for k in ("key_additions", "key_deletions", "active_sas"))')" = "(2, 0, 2)" ]
	check "$name: stats text has the Main Mode section" grep -q '^Main Mode (IKE)$' "$TMP/$name.stats.txt"
done
check "client: one acquire (the first SYN)" [ "$(jget "$TMP/client.stats" 'd["main_mode"]["ike_total_acquire"]')" = 1 ]
check "server: Confidential Bytes Sent above the file ($SIZE)" \
	[ "$(jget "$TMP/server.stats" 'd["quick_mode"]["confidential_bytes_sent"]')" -gt "$SIZE" ]

# SIGHUP: the global IKE words of the new file reach the engine (for IKE SAs made after it)
check "client starts with the engine's default timers" \
	grep -q "IKE: fragmentation on, fragment size 0, nat-keepalive 0 ms, dpd-delay 0 ms, cookie threshold 0 " "$TMP/client.log"
printf 'nat-keepalive 5s\ndpd-delay 7s\nike-fragment-size 1280\nike-cookie-threshold 8\n' >>"$TMP/client.conf"
kill -HUP "$PIDC"
check "client reload hands nat-keepalive, dpd-delay, ike-fragment-size and ike-cookie-threshold to IKE" \
	wait_for 10 grep -q "IKE: fragmentation on, fragment size 1280, nat-keepalive 5000 ms, dpd-delay 7000 ms, cookie threshold 8 " "$TMP/client.log"

for pn in "$C:$PIDC" "$S:$PIDSV"; do
	kill -TERM "${pn#*:}"
	wait "${pn#*:}" 2>/dev/null
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
done
net_finish "$TMP/client.log" "$TMP/server.log"
