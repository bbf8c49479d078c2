#!/usr/bin/env bash
# esprit up / rekey / down between two espritd (IKEv2 PSK, ESP transport for TCP port 80).
#
#   ns C (client, rule web, one manual SA pair to T)   ns W (bridge)   ns S (server, rule web)
#   A_C curl ------------------------------------------------------------ A_S nginx :80
#   ns T (third host, only the far end of C's manual SAs; never used)
#
# Checks: with no traffic at all, `esprit up web` on C establishes the IKE SA and one Child SA
# pair that both `esprit sa --json` list (and no acquire was counted); `esprit rekey CHILD` on C and
# `esprit rekey 0xSPI` on S each give a pair with new SPIs on both ends while a rate-limited
# download keeps going (byte-identical), and the pair after both carries a second download;
# `esprit rekey CHILD --ike` gives new IKE SPIs on both ends and keeps the Child SAs (same SPIs); `esprit down CHILD` removes the pair on both ends
# (the IKE SA stays); `esprit down web` on S removes everything of the rule on both ends, and
# `esprit up web --peer A_C` on S (the rule of any client) negotiates from that side;
# errors (exit 1, reason on stderr): unknown rule, unknown SA, a manual SA rekeyed or taken
# down, `up` of the server's rule for any client without --peer; usage errors (exit 2): rekey of a rule name, a bad --peer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ike_lib.sh"
net_init ikud curl openssl cmp nginx
net_family 4 46
ESPRIT="$ESPRIT_BUILD/esprit"
[ -x "$ESPRIT" ] || {
	echo "no $ESPRIT"
	exit 1
}
net_topology

net_key "$TMP/k1" 20
net_key "$TMP/k2" 20
ike_psk_confs 3600s
cat >>"$TMP/client.conf" <<CONF
sa out esp spi 0x7001 transport $A_C -> $A_T aes-gcm-128 key file "$TMP/k1" selector tcp port 25
sa in esp spi 0x7002 transport $A_T -> $A_C aes-gcm-128 key file "$TMP/k2" selector tcp sport 25
CONF

ike_pair_start
grep -q "IKE on" "$TMP/client.log" || skip "this espritd does not run IKE"

# e NS SOCK ARGS...: esprit in NS against SOCK; stdout+stderr in $OUT, exit status returned.
e() {
	local ns="$1" sock="$2" rc=0
	shift 2
	OUT="$(ip netns exec "$ns" "$ESPRIT" "$@" --control "$sock" 2>&1)" || rc=$?
	return $rc
}
# expect NAME RC PATTERN NS SOCK ARGS...: esprit exits RC and its output matches PATTERN.
expect() {
	local name="$1" want="$2" pat="$3" rc=0
	shift 3
	e "$@" || rc=$?
	if [ "$rc" -eq "$want" ] && grep -Eq -- "$pat" <<<"$OUT"; then
		ok "$name"
	else
		bad "$name (exit $rc): $OUT"
	fi
}
jget() { # jget PYEXPR: PYEXPR over the JSON document d read from stdin
	"$PY3" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
# web_spis NS SOCK: the SPIs of the rule's SAs, sorted, one line ("" when none).
web_spis() {
	ip netns exec "$1" "$ESPRIT" sa --json --control "$2" |
		jget '" ".join(sorted(s["spi"] for s in d["sas"] if s["origin"] == "web"))'
}
web_child() { # web_child NS SOCK: the child id of the rule's pair
	ip netns exec "$1" "$ESPRIT" sa --json --control "$2" |
		jget 'sorted(set(s["child_id"] for s in d["sas"] if s["origin"] == "web"))[0]'
}
ike_names() { # ike_names NS SOCK: the IKE SAs ("spi_i:spi_r"), sorted
	ip netns exec "$1" "$ESPRIT" status --json --control "$2" |
		jget '" ".join(sorted(s.split()[0] for s in d["ike_sas"]))'
}
nspis() { # nspis SPIS: how many
	wc -w <<<"$1"
}
# pair_is NS SOCK N: the rule has exactly N SAs there
pair_is() { [ "$(nspis "$(web_spis "$1" "$2")")" -eq "$3" ]; }
# spis_differ NS SOCK OLD: two SAs of the rule, none of them in OLD
spis_differ() {
	local now s
	now="$(web_spis "$1" "$2")"
	[ "$(nspis "$now")" -eq 2 ] || return 1
	for s in $now; do
		grep -qw -- "$s" <<<"$3" && return 1
	done
	return 0
}

# ---- up: no traffic, the SAs come up on request ----------------------------------------------
check "client: no SA of rule web before 'up'" pair_is "$C" "$CS" 0
expect "client: esprit up web starts the negotiation" 0 "negotiation started" "$C" "$CS" up web
check "client: the pair is listed after 'up'" wait_for 15 pair_is "$C" "$CS" 2
check "server: the pair is listed after 'up'" wait_for 15 pair_is "$S" "$SS" 2
c_spis="$(web_spis "$C" "$CS")"
s_spis="$(web_spis "$S" "$SS")"
check "both ends hold the same two SPIs ($c_spis)" [ "$c_spis" = "$s_spis" ]
acq=$(ip netns exec "$C" "$ESPRIT" stats --json --control "$CS" | jget 'd["main_mode"]["ike_total_acquire"]')
check "client: one acquire, the 'up' request (no packet started one)" [ "$acq" -eq 1 ]
expect "client: esprit up web --peer $A_S again: up already" 0 "up already" \
	"$C" "$CS" up web --peer "$A_S"
sleep 1
check "client: a second 'up' adds no pair" pair_is "$C" "$CS" 2

# ---- rekey during a download -----------------------------------------------------------------
# web_in_over N: the client's inbound SA of rule web counted more than N bytes.
web_in_over() {
	[ "$(sa_eval "$CS" "sum(s['bytes'] for s in sas if s['origin'] == 'web' and s['dir'] == 'in')")" -gt "$1" ]
}
nginx_start "$S" "$TMP/ngx" "$A_S" || bad "nginx"
# 30 MB at 2 MiB/s: about 15 s, so the download outlasts both rekeys (well under a second each
# when idle) even on a loaded machine; it was 8 s once and ended before the second rekey.
head -c 30000000 /dev/urandom >"$TMP/ngx/www/big.bin"
in_ns "$C" curl -sS --max-time 60 --limit-rate 2M -o "$TMP/big.got" "http://$URL_S/big.bin" &
CURL_PID=$!
PIDS+=("$CURL_PID")
check "the download flows through the pair" wait_for 10 web_in_over 0
old="$(web_spis "$C" "$CS")"
child="$(web_child "$C" "$CS")"
expect "client: esprit rekey $child (child id)" 0 "Child SA rekey started" "$C" "$CS" rekey "$child"
check "client: new SPIs replace the old pair" wait_for 15 spis_differ "$C" "$CS" "$old"
check "server: new SPIs replace the old pair" wait_for 15 spis_differ "$S" "$SS" "$old"
old="$(web_spis "$S" "$SS")"
spi="${old%% *}"
expect "server: esprit rekey $spi (an SPI)" 0 "Child SA rekey started" "$S" "$SS" rekey "$spi"
check "server: new SPIs again" wait_for 15 spis_differ "$S" "$SS" "$old"
check "client: new SPIs again" wait_for 15 spis_differ "$C" "$CS" "$old"
check "download still running after two rekeys" kill -0 "$CURL_PID"
if wait "$CURL_PID"; then ok "download finished without error"; else bad "download failed"; fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/big.bin" "$TMP/big.got"
# The twice-rekeyed pair carries traffic: a whole second download goes over it. (Asking how
# much of the first download it carried depends on how long the rekeys took: on a loaded
# machine once so long that less than 100 kB were left.)
head -c 1000000 /dev/urandom >"$TMP/ngx/www/small.bin"
in0="$(sa_eval "$CS" "sum(s['bytes'] for s in sas if s['origin'] == 'web' and s['dir'] == 'in')")"
in_ns "$C" curl -sS --max-time 30 -o "$TMP/small.got" "http://$URL_S/small.bin" ||
	bad "second download failed"
check "second download is byte-identical" cmp -s "$TMP/ngx/www/small.bin" "$TMP/small.got"
check "client: the twice-rekeyed pair carried the second download (1 MB more in)" \
	web_in_over $((in0 + 1000000))

# ---- IKE SA rekey: new IKE SPIs, Child SAs kept ----------------------------------------------
ike_c="$(ike_names "$C" "$CS")"
ike_s="$(ike_names "$S" "$SS")"
check "one IKE SA, the same on both ends ($ike_c)" bash -c '[ -n "$1" ] && [ "$1" = "$2" ]' _ "$ike_c" "$ike_s"
kept="$(web_spis "$C" "$CS")"
child="$(web_child "$C" "$CS")"
expect "client: esprit rekey $child --ike" 0 "IKE SA rekey started" "$C" "$CS" rekey "$child" --ike
ike_new() { # ike_new NS SOCK OLD: one IKE SA and not OLD
	local n
	n="$(ike_names "$1" "$2")"
	[ "$(nspis "$n")" -eq 1 ] && [ "$n" != "$3" ]
}
check "client: new IKE SPIs" wait_for 15 ike_new "$C" "$CS" "$ike_c"
check "server: new IKE SPIs" wait_for 15 ike_new "$S" "$SS" "$ike_s"
check "both ends agree on the new IKE SA" [ "$(ike_names "$C" "$CS")" = "$(ike_names "$S" "$SS")" ]
check "client: Child SAs kept across the IKE rekey" [ "$(web_spis "$C" "$CS")" = "$kept" ]
check "server: Child SAs kept across the IKE rekey" [ "$(web_spis "$S" "$SS")" = "$kept" ]
rm -f "$TMP/got.bin"
head -c 300000 /dev/urandom >"$TMP/ngx/www/small.bin"
if in_ns "$C" curl -sS --max-time 20 -o "$TMP/got.bin" "http://$URL_S/small.bin" &&
	cmp -s "$TMP/ngx/www/small.bin" "$TMP/got.bin"; then
	ok "download over the kept Child SAs"
else
	bad "no download after the IKE rekey"
fi

# ---- errors ----------------------------------------------------------------------------------
expect "up of an unknown rule fails" 1 "no rule 'nosuch'" "$C" "$CS" up nosuch
expect "down of an unknown rule fails" 1 "named 'nosuch'" "$C" "$CS" down nosuch
expect "rekey of an unknown child id fails" 1 "no SA 424242" "$C" "$CS" rekey 424242
expect "down of an unknown SPI fails" 1 "no SA with SPI 0xdeadbeef" "$C" "$CS" down 0xdeadbeef
expect "rekey of a manual SA is refused" 1 "manual SAs cannot be rekeyed" "$C" "$CS" rekey 0x7001
expect "down of a manual SA is refused" 1 "is a manual SA" "$C" "$CS" down 0x7002
expect "rekey of a rule name is a usage error" 2 "is not an SA" "$C" "$CS" rekey web
expect "up with a bad --peer is a usage error" 2 "not an IPv4 or IPv6" "$C" "$CS" up web --peer 10.1
expect "rekey without an SA is a usage error" 2 "missing SA" "$C" "$CS" rekey
expect "up without a daemon fails" 1 "cannot reach espritd" "$C" "$TMP/none.sock" up web
check "the manual SAs are untouched" \
	[ "$(sa_eval "$CS" "sorted(s['spi'] for s in sas if s['origin'] == 'manual')")" = "['0x00007001', '0x00007002']" ]

# ---- down: one pair, then the whole rule -----------------------------------------------------
child="$(web_child "$C" "$CS")"
expect "client: esprit down $child" 0 "being deleted" "$C" "$CS" down "$child"
check "client: the pair is gone" wait_for 10 pair_is "$C" "$CS" 0
check "server: the peer's pair is gone too" wait_for 10 pair_is "$S" "$SS" 0
check "the IKE SA stays after a Child SA down" [ "$(nspis "$(ike_names "$C" "$CS")")" -eq 1 ]
expect "client: esprit up web again" 0 "negotiation started" "$C" "$CS" up web
check "client: a new pair after 'up'" wait_for 15 pair_is "$C" "$CS" 2
check "server: a new pair after 'up'" wait_for 15 pair_is "$S" "$SS" 2
expect "server: esprit down web" 0 "being deleted" "$S" "$SS" down web
check "server: no SA of rule web left" wait_for 10 pair_is "$S" "$SS" 0
check "client: no SA of rule web left" wait_for 10 pair_is "$C" "$CS" 0
no_ike() { [ -z "$(ike_names "$1" "$2")" ]; }
check "server: no IKE SA left" wait_for 10 no_ike "$S" "$SS"
check "client: no IKE SA left" wait_for 10 no_ike "$C" "$CS"
expect "server: up of its rule for any client wants --peer" 1 "no single peer: name one" \
	"$S" "$SS" up web
expect "server: esprit up web --peer $A_C" 0 "negotiation started with $A_C" \
	"$S" "$SS" up web --peer "$A_C"
check "server (now the initiator): the pair is listed" wait_for 15 pair_is "$S" "$SS" 2
check "client: the pair is listed" wait_for 15 pair_is "$C" "$CS" 2
check "client logged the administrative requests" grep -q "control: rekey" "$TMP/client.log"

for pn in "$C:$PIDC" "$S:$PIDSV"; do
	kill -TERM "${pn#*:}"
	wait "${pn#*:}" 2>/dev/null
	check "nothing of esprit left in ${pn%%:*}" espritd_gone "${pn%%:*}"
done
net_finish "$TMP/client.log" "$TMP/server.log"
