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
# with its replay window; `esprit stats --json` has the Main Mode section: one active IKE SA,
# IKE Main Mode 1 (IKE SAs established), IKE Quick Mode 1 (Child SAs established), Key
# Additions 2 (two keys per pair), Key Deletions 0, no authentication failures; the client
# counted one acquire; Confidential Bytes Sent on the server exceed the file; the human
# `esprit stats` prints the "Main Mode (IKE)" section.
source "$(dirname "$0")/lib.sh"
net_init stik curl openssl nginx
net_family 4 45
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || {
	echo "no $ESPRIT"
	exit 1
}
net_topology

openssl rand -hex 24 >"$TMP/psk"
chmod 600 "$TMP/psk"
conf() { # conf FILTER
	cat <<CONF
filter-list web {
	$1
}
action esp-gcm {
	negotiate
	method esp aes-gcm-128 lifetime 100000kb 3600s
	pending hold 8
}
policy p {
	rule web {
		filters web
		action esp-gcm
		auth psk "$TMP/psk"
		mode transport
	}
	default-response yes
}
use policy p
CONF
}
conf "me -> $A_S tcp port 80 mirrored" >"$TMP/client.conf"
conf "any -> me tcp port 80 mirrored" >"$TMP/server.conf"

espritd_start "$S" "$TMP/server.conf" "$TMP/server.log" || net_finish "$TMP/server.log"
PIDSV=$ESPRITD_PID
espritd_start "$C" "$TMP/client.conf" "$TMP/client.log" || net_finish "$TMP/client.log"
PIDC=$ESPRITD_PID
if ! grep -q "IKE on" "$TMP/client.log"; then
	skip "this espritd does not run IKE"
fi

SIZE=300000
mkdir -p "$TMP/ngx/www"
head -c "$SIZE" /dev/urandom >"$TMP/ngx/www/data.bin"
chmod -R a+rX "$TMP/ngx"
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
check "curl through negotiated ESP" \
	in_ns "$C" curl -sS --max-time 60 -o "$TMP/got.bin" "http://$URL_S/data.bin"
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"

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
		[ "$(jget "$TMP/$name.sa" '(len(d), sorted(set(s["origin"] for s in d)), len(set(s["child_id"] for s in d)), min(s["child_id"] for s in d) > 0)')" = "(2, ['web'], 1, True)" ]
	check "$name: the inbound SA has a replay window" \
		[ "$(jget "$TMP/$name.sa" '[s["replay_window"] > 0 for s in d if s["dir"] == "in"]')" = "[True]" ]
	check "$name: Main Mode: 1 active IKE SA, 1 established, 1 Child SA, no auth failures" \
		[ "$(jget "$TMP/$name.stats" 'tuple(d["main_mode"][k] for k in ("ike_active", "ike_main_mode", "ike_quick_mode", "ike_authentication_failures"))')" = "(1, 1, 1, 0)" ]
	check "$name: Key Additions 2, Key Deletions 0, Active SAs 2" \
		[ "$(jget "$TMP/$name.stats" 'tuple(d["quick_mode"][k] for k in ("key_additions", "key_deletions", "active_sas"))')" = "(2, 0, 2)" ]
	check "$name: stats text has the Main Mode section" grep -q '^Main Mode (IKE)$' "$TMP/$name.stats.txt"
done
check "client: one acquire (the first SYN)" [ "$(jget "$TMP/client.stats" 'd["main_mode"]["ike_total_acquire"]')" = 1 ]
check "server: Confidential Bytes Sent above the file ($SIZE)" \
	[ "$(jget "$TMP/server.stats" 'd["quick_mode"]["confidential_bytes_sent"]')" -gt "$SIZE" ]

for pn in "$C:$PIDC" "$S:$PIDSV"; do
	kill -TERM "${pn#*:}"
	wait "${pn#*:}" 2>/dev/null
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
done
net_finish "$TMP/client.log" "$TMP/server.log"
