#!/usr/bin/env bash
# esprit policy show / policy match against the seed's scenarios:
#   front-end --(HTTP, POP3, IMAP)--> back-end : protected with ESP (frontend.conf)
#   legacy client --> back-end                 : plain, accepted (backend.conf, respond only)
#   IKE                                        : always exempt
#   broadcast / multicast                      : exempt or never negotiated
# Addresses are the examples': front-end 10.1.0.1 / 2001:db8:1::1, back-end 10.1.0.2 /
# 2001:db8:1::2, a legacy client 10.1.0.50.
source "$(dirname "$0")/lib.sh"

FE="$EXAMPLES/frontend.conf"
BE="$EXAMPLES/backend.conf"
FE_L=(-l 10.1.0.1/24 -l 2001:db8:1::1/64)
BE_L=(-l 10.1.0.2/24 -l 2001:db8:1::2/64)

# json NAME FILE PYTHON-EXPR: the JSON document in FILE parses, and EXPR (over `d`) is true.
json() {
	if "$PY3" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$2" "$3" 2>"$TMP/pyerr"; then
		ok "$1"
	else
		bad "$1: $3 is false for $(head -c 2000 "$2") $(cat "$TMP/pyerr")"
	fi
}

# --- policy show, text ------------------------------------------------------------------
expect_rc "show frontend" 0 "$ESPRIT" policy show "${FE_L[@]}" "$FE"
has "show: policy name" "$OUT" '^policy +frontend, 1 rule$'
has "show: 12 specific filters" "$OUT" '^specific filters: 12 '
has "show: IKE exemption listed" "$OUT" '^  ike '
hasnt "show: level 3 does not exempt kerberos" "$OUT" '^  kerberos'
# The outbound HTTP filter, as the filter list says: me -> 10.1.0.2 tcp port 80.
blk="$(awk '/^filter #/{p=0} /^filter #[0-9]+  out  ipv4  tcp$/{p=1} p' <<<"$OUT" |
	awk 'BEGIN{RS=""} /destination  10\.1\.0\.2 port 80\n/' | head -n 12)"
field "show: HTTP source" "$blk" '  source' '10.1.0.1 port any'
field "show: HTTP inbound action" "$blk" '  inbound' 'negotiate'
field "show: HTTP outbound action" "$blk" '  outbound' 'negotiate'
has "show: HTTP rule" "$blk" 'rule +to-backend \(policy frontend; filter 1 of list mail-to-backend\)'
has "show: HTTP first method" "$blk" 'methods +esp aes-gcm-128 100000kb/3600s'
has "show: HTTP AH method too" "$blk" '^ +ah hmac-sha2-256'
field "show: HTTP mode" "$blk" '  mode' 'transport'

expect_rc "show backend" 0 "$ESPRIT" policy show "${BE_L[@]}" "$BE"
has "show backend: built-in policy" "$OUT" '^policy +client-respond-only \(built-in\), 0 rules$'
has "show backend: no filters" "$OUT" '^specific filters: 0 '
has "show backend: default response on" "$OUT" '^default response rule: on$'

# --- policy show, JSON --------------------------------------------------------------------
for f in "$EXAMPLES"/*.conf; do
	b="$(basename "$f")"
	run "$ESPRIT" policy show --json "$f"
	[ "$RC" -eq 0 ] && ok "show --json $b" || bad "show --json $b: exit $RC: $ERR"
	printf '%s\n' "$OUT" >"$TMP/show.json"
	if "$PY3" -m json.tool "$TMP/show.json" >/dev/null 2>&1; then
		ok "show --json $b is valid JSON"
	else
		bad "show --json $b is not JSON: $OUT"
	fi
done
"$ESPRIT" policy show --json "${FE_L[@]}" "$FE" >"$TMP/fe.json"
json "json: 12 filters" "$TMP/fe.json" 'len(d["filters"]) == 12'
json "json: policy" "$TMP/fe.json" 'd["policy"] == "frontend" and d["no_default_exempt"] == 3'
json "json: exemptions" "$TMP/fe.json" '[e["name"] for e in d["exemptions"]] == ["ike"]'
json "json: kdc" "$TMP/fe.json" 'd["kdc"] == ["10.1.0.10"]'
json "json: every filter has the fields" "$TMP/fe.json" 'all(set(["source","destination","protocol","source_ports","destination_ports","direction","inbound_action","outbound_action","rule","action","mode","tunnel_remote"]) <= set(f) for f in d["filters"])'
json "json: evaluation order" "$TMP/fe.json" '[f["order"] for f in d["filters"]] == list(range(12))'
json "json: directions pair up" "$TMP/fe.json" 'sorted(f["direction"] for f in d["filters"]) == ["in"]*6 + ["out"]*6'
# Exactly the ports the filter list names, for each family, outbound towards the back-end.
json "json: IPv4 outbound ports" "$TMP/fe.json" 'sorted(int(f["destination_ports"]) for f in d["filters"] if f["direction"]=="out" and f["family"]=="ipv4") == [80,110,143]'
json "json: IPv6 outbound to back-end" "$TMP/fe.json" 'all(f["destination"]=="2001:db8:1::2" and f["source"]=="2001:db8:1::1" for f in d["filters"] if f["direction"]=="out" and f["family"]=="ipv6")'
json "json: mirrored inbound from port 80" "$TMP/fe.json" 'any(f["direction"]=="in" and f["source"]=="10.1.0.2" and f["source_ports"]=="80" and f["mirror"] for f in d["filters"])'
json "json: methods in config order" "$TMP/fe.json" 'all(f["action"]["methods"][0].startswith("esp aes-gcm-128") and f["action"]["methods"][2].startswith("ah hmac-sha2-256") for f in d["filters"])'
json "json: transport" "$TMP/fe.json" 'all(f["mode"]=="transport" and f["tunnel_remote"] is None for f in d["filters"])'

# Strings are escaped (RFC 8259 7): a file name with a quote, a backslash and a tab comes back
# intact through an independent JSON parser.
weird="$TMP/we\"ird\\na$(printf '\t')me.conf"
cp "$BE" "$weird"
"$ESPRIT" policy show --json "$weird" >"$TMP/weird.json"
if "$PY3" -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["file"] != sys.argv[2])' \
	"$TMP/weird.json" "$weird"; then
	ok "json: file name escaped"
else
	bad "json: file name not escaped: $(head -3 "$TMP/weird.json")"
fi

# --- policy match: the seed's cases --------------------------------------------------------
# 1. Front-end HTTP to the back-end: protected, ESP first.
expect_rc "match FE HTTP" 0 "$ESPRIT" policy match "${FE_L[@]}" --src 10.1.0.1 --dst 10.1.0.2 \
	--proto tcp --sport 40000 --dport 80 --out "$FE"
field "FE HTTP: verdict" "$OUT" verdict protect
field "FE HTTP: rule" "$OUT" rule to-backend
has "FE HTTP: ESP method" "$OUT" '^methods +esp aes-gcm-128'
field "FE HTTP: transport" "$OUT" mode transport
field "FE HTTP: initiates IKE" "$OUT" 'initiate IKE' yes
field "FE HTTP: never clear" "$OUT" 'clear out' never
# POP3 and IMAP, and IPv6, too; but not SSH (not in the filter list).
for p in 110 143; do
	run "$ESPRIT" policy match "${FE_L[@]}" --src 10.1.0.1 --dst 10.1.0.2 --dport $p "$FE"
	field "FE port $p: protect" "$OUT" verdict protect
done
run "$ESPRIT" policy match "${FE_L[@]}" --src 2001:db8:1::1 --dst 2001:db8:1::2 --dport 143 "$FE"
field "FE IMAP over IPv6: protect" "$OUT" verdict protect
run "$ESPRIT" policy match "${FE_L[@]}" --src 10.1.0.1 --dst 10.1.0.2 --dport 22 "$FE"
field "FE SSH: permit" "$OUT" verdict permit
# The back-end's HTTP reply reaching the front-end in clear is refused.
run "$ESPRIT" policy match "${FE_L[@]}" --src 10.1.0.2 --dst 10.1.0.1 --sport 80 --dport 40000 \
	--in "$FE"
field "FE reply in: protect" "$OUT" verdict protect
field "FE reply in: clear refused" "$OUT" 'clear in' refused
"$ESPRIT" policy match --json "${FE_L[@]}" --src 10.1.0.1 --dst 10.1.0.2 --dport 80 "$FE" \
	>"$TMP/m.json"
json "match --json FE HTTP" "$TMP/m.json" 'd["verdict"]=="protect" and d["rule"]=="to-backend" and d["methods"][0].startswith("esp ") and d["filter"]["destination_ports"]=="80" and d["mode"]=="transport"'

# 2. A legacy client (no IPsec) to the back-end: accepted in clear; IKE would be answered.
expect_rc "match legacy -> BE" 0 "$ESPRIT" policy match "${BE_L[@]}" --src 10.1.0.50 \
	--dst 10.1.0.2 --proto tcp --sport 50000 --dport 80 --in "$BE"
field "legacy: verdict" "$OUT" verdict permit
field "legacy: policy" "$OUT" policy client-respond-only
field "legacy: clear in" "$OUT" 'clear in' accepted
has "legacy: back-end responds to IKE" "$OUT" '^responder +accepts IKE .*default response rule'
# ... and the back-end's reply goes back in clear, it never initiates.
run "$ESPRIT" policy match "${BE_L[@]}" --src 10.1.0.2 --dst 10.1.0.50 --sport 80 --out "$BE"
field "legacy reply: permit" "$OUT" verdict permit
"$ESPRIT" policy match --json "${BE_L[@]}" --src 10.1.0.50 --dst 10.1.0.2 --dport 143 --in \
	"$BE" >"$TMP/m.json"
json "match --json legacy" "$TMP/m.json" 'd["verdict"]=="permit" and d["filter"] is None and d["responder"]["default_response"] is True'

# 3. IKE: exempt on both hosts, whatever the filters say.
for c in "$FE" "$BE"; do
	b="$(basename "$c")"
	run "$ESPRIT" policy match --src 10.1.0.1 --dst 10.1.0.2 --proto udp --sport 500 \
		--dport 500 --out "$c"
	field "IKE out ($b): exempt" "$OUT" verdict exempt
	has "IKE out ($b): reason" "$OUT" '^reason +IKE'
	run "$ESPRIT" policy match --src 10.1.0.1 --dst 10.1.0.2 --proto udp --sport 4500 \
		--dport 4500 --in "$c"
	field "NAT-T in ($b): exempt" "$OUT" verdict exempt
done

# 4. Broadcast and multicast: never negotiated.
cat >"$TMP/secure.conf" <<'CONF'
use policy secure-server-require-security
CONF
cat >"$TMP/secure-l1.conf" <<'CONF'
no-default-exempt 1
use policy secure-server-require-security
CONF
run "$ESPRIT" policy match -l 10.1.0.2/24 --src 10.1.0.2 --dst 10.1.0.255 --proto udp \
	--dport 137 "$TMP/secure-l1.conf"
field "directed broadcast, level 1: exempt" "$OUT" verdict exempt
has "directed broadcast: note" "$OUT" '^note +broadcast destination: never negotiated'
run "$ESPRIT" policy match -l 10.1.0.2/24 --src 10.1.0.2 --dst 224.0.0.251 --proto udp \
	--dport 5353 "$TMP/secure-l1.conf"
field "multicast, level 1: exempt" "$OUT" verdict exempt
run "$ESPRIT" policy match -l 10.1.0.2/24 --src 10.1.0.2 --dst 255.255.255.255 --proto udp \
	--dport 137 "$TMP/secure.conf"
field "broadcast, require security: not negotiated (block)" "$OUT" verdict block
has "broadcast, require security: reason" "$OUT" '^reason +broadcast/multicast is never negotiated'
# the same host's unicast traffic is protected.
run "$ESPRIT" policy match -l 10.1.0.2/24 --src 10.1.0.2 --dst 10.1.0.7 --proto udp \
	--dport 137 "$TMP/secure.conf"
field "unicast, require security: protect" "$OUT" verdict protect
"$ESPRIT" policy match --json -l 10.1.0.2/24 --src 10.1.0.2 --dst 255.255.255.255 --proto udp \
	--dport 137 "$TMP/secure.conf" >"$TMP/m.json"
json "match --json broadcast" "$TMP/m.json" 'd["verdict"]=="block" and d["destination_kind"]=="broadcast" and d["methods"]==[]'

# The firewall example: front-end -> back-end HTTP crosses the firewall, which sends it into
# tunnel B; the packet's source is not the firewall's own address.
FW="$EXAMPLES/firewall.conf"
if [ -e "$FW" ]; then
	run "$ESPRIT" policy match -l 10.1.0.254/24 -l 10.2.0.254/24 --src 10.1.0.1 --dst 10.2.0.2 \
		--dport 80 "$FW"
	field "FW: protect" "$OUT" verdict protect
	field "FW: rule" "$OUT" rule tunnel-backend
	field "FW: tunnel B" "$OUT" mode 'tunnel to 10.2.0.2, local endpoint 10.2.0.254'
	has "FW: forwarded note" "$OUT" '^note +the source is not an address of this host'
	run "$ESPRIT" policy match -l 10.1.0.254/24 -l 10.2.0.254/24 --src 10.2.0.2 --dst 10.1.0.1 \
		--sport 143 --dport 50000 "$FW"
	field "FW answer: tunnel A" "$OUT" mode 'tunnel to 10.1.0.1, local endpoint 10.1.0.254'
fi
run "$ESPRIT" policy match "${FE_L[@]}" --src 10.1.0.1 --dst 10.1.0.2 --dport 80 "$FE"
hasnt "FE: own address, no forwarded note" "$OUT" 'not an address of this host'

# Tunnel mode shows its endpoint.
cat >"$TMP/tunnel.conf" <<'CONF'
filter-list fe-to-be {
	10.1.0.0/24 -> 10.2.0.0/24 mirrored
}
policy gw {
	rule to-firewall {
		filters fe-to-be
		action require-security
		mode tunnel 192.0.2.1 local 192.0.2.2
	}
}
use policy gw
CONF
run "$ESPRIT" policy match -l 192.0.2.2/24 --src 10.1.0.5 --dst 10.2.0.9 --proto tcp --dport 80 \
	"$TMP/tunnel.conf"
field "tunnel: protect" "$OUT" verdict protect
field "tunnel: endpoint" "$OUT" mode 'tunnel to 192.0.2.1, local endpoint 192.0.2.2'
"$ESPRIT" policy show --json -l 192.0.2.2/24 "$TMP/tunnel.conf" >"$TMP/t.json"
json "show --json tunnel" "$TMP/t.json" 'len(d["filters"])>=2 and all(f["mode"]=="tunnel" and f["tunnel_remote"]=="192.0.2.1" and f["tunnel_local"]=="192.0.2.2" for f in d["filters"])'

finish
