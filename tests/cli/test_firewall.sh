#!/usr/bin/env bash
# esprit firewall-rules: for every example, with and without --block-plaintext, the output is
# accepted by `nft -c -f -` (check mode: nothing changes), contains the seed's openings
# (UDP 500, UDP 4500, ESP/AH, Kerberos 88 where exempt) between the right peers, and drops
# plaintext HTTP/POP3/IMAP only with --block-plaintext. Then the ruleset is loaded for real in
# a private network namespace to show it stays in its own table and can be reloaded.
source "$(dirname "$0")/lib.sh"

command -v nft >/dev/null || { bad "nft(8) not installed"; finish; }

# Locals of each example host (from the examples' header comments).
locals_for() {
	case "$(basename "$1")" in
	frontend.conf) echo "-l 10.1.0.1/24 -l 2001:db8:1::1/64" ;;
	backend.conf) echo "-l 10.1.0.2/24 -l 2001:db8:1::2/64" ;;
	firewall.conf) echo "-l 10.1.0.254/24 -l 10.2.0.254/24" ;;
	*) echo "" ;;
	esac
}

# nft_check NAME FILE: nft parses and evaluates the ruleset in FILE.
nft_check() {
	if nft -c -f "$2" 2>"$TMP/nfterr"; then
		ok "$1: nft -c accepts it"
	else
		bad "$1: nft -c: $(cat "$TMP/nfterr")"
	fi
}

for f in "$EXAMPLES"/*.conf; do
	b="$(basename "$f")"
	for blk in "" --block-plaintext; do
		# shellcheck disable=SC2046
		run "$ESPRIT" firewall-rules $(locals_for "$f") $blk "$f"
		[ "$RC" -eq 0 ] && ok "$b $blk: exit 0" || bad "$b $blk: exit $RC: $ERR"
		printf '%s\n' "$OUT" >"$TMP/rules.nft"
		nft_check "$b $blk" "$TMP/rules.nft"
		# Only our table is ever named.
		if grep -E '^\s*(table|delete table|flush)' "$TMP/rules.nft" |
			grep -vqE '^(table|delete table) inet esprit_fw( \{)?$'; then
			bad "$b $blk: names another table"
		else
			ok "$b $blk: only table inet esprit_fw"
		fi
		# No rule twice (a gateway's in/out specific filters share addresses).
		dup="$(grep -E '^\s+(ip|ip6|meta) ' "$TMP/rules.nft" | sort | uniq -d)"
		[ -z "$dup" ] && ok "$b $blk: no duplicate rules" || bad "$b $blk: duplicates: $dup"
		# Without --block-plaintext nothing is ever dropped.
		if [ -z "$blk" ]; then
			hasnt "$b: no drop without --block-plaintext" "$OUT" '^\s+[^#].* drop$'
		fi
	done
done

# --- the front-end example, rule by rule ----------------------------------------------------
FE="$EXAMPLES/frontend.conf"
FE_L=(-l 10.1.0.1/24 -l 2001:db8:1::1/64)
run "$ESPRIT" firewall-rules "${FE_L[@]}" "$FE"
P4='ip saddr 10.1.0.1 ip daddr 10.1.0.2'
R4='ip saddr 10.1.0.2 ip daddr 10.1.0.1'
P6='ip6 saddr 2001:db8:1::1 ip6 daddr 2001:db8:1::2'
for pair in "$P4" "$R4" "$P6"; do
	has "FE: IKE $pair" "$OUT" "^	+$pair udp dport 500 accept$"
	has "FE: NAT-T $pair" "$OUT" "^	+$pair udp dport 4500 accept$"
	has "FE: ESP $pair" "$OUT" "^	+$pair meta l4proto esp accept$"
	# The action lists an AH method, so AH (51) is opened too.
	has "FE: AH $pair" "$OUT" "^	+$pair meta l4proto ah accept$"
done
has "FE: udp dport 500 accept" "$OUT" 'udp dport 500 accept'
has "FE: meta l4proto esp accept" "$OUT" 'meta l4proto esp accept'
hasnt "FE: no tcp dport 80 drop without --block-plaintext" "$OUT" 'tcp dport 80 drop'
# Level 3: Kerberos is not exempt, so port 88 is not opened.
hasnt "FE: no Kerberos at level 3" "$OUT" ' 88 accept'

run "$ESPRIT" firewall-rules --block-plaintext "${FE_L[@]}" "$FE"
for p in 80 110 143; do
	has "FE block: HTTP/POP3/IMAP $p out" "$OUT" "^	+$P4 tcp dport $p drop$"
	has "FE block: $p reply" "$OUT" "^	+$R4 tcp sport $p drop$"
	has "FE block: $p over IPv6" "$OUT" "^	+$P6 tcp dport $p drop$"
done
has "FE block: tcp dport 80 drop" "$OUT" 'tcp dport 80 drop'
hasnt "FE block: SSH untouched" "$OUT" 'dport 22 '
# IPsec itself is accepted before any drop (first match).
first_drop="$(grep -n ' drop$' <<<"$OUT" | head -n1 | cut -d: -f1)"
last_ike="$(grep -n 'udp dport 500 accept$' <<<"$OUT" | tail -n1 | cut -d: -f1)"
[ "$last_ike" -lt "$first_drop" ] && ok "FE block: IKE accepted before drops" ||
	bad "FE block: a drop (line $first_drop) precedes IKE (line $last_ike)"

# --- the back-end example: it only answers ----------------------------------------------------
BE="$EXAMPLES/backend.conf"
run "$ESPRIT" firewall-rules --block-plaintext -l 10.1.0.2/24 "$BE"
has "BE: answers IKE from anyone" "$OUT" '^	+ip daddr 10.1.0.2 udp dport 500 accept$'
has "BE: replies IKE to anyone" "$OUT" '^	+ip saddr 10.1.0.2 udp dport 500 accept$'
hasnt "BE: respond-only drops nothing" "$OUT" '^\s+[^#].* drop$'

# --- the firewall example: two tunnels end on this host ------------------------------------
FW="$EXAMPLES/firewall.conf"
if [ -e "$FW" ]; then
	run "$ESPRIT" firewall-rules --block-plaintext -l 10.1.0.254/24 -l 10.2.0.254/24 "$FW"
	for pair in 'ip saddr 10.1.0.254 ip daddr 10.1.0.1' 'ip saddr 10.1.0.1 ip daddr 10.1.0.254' \
		'ip saddr 10.2.0.254 ip daddr 10.2.0.2' 'ip saddr 10.2.0.2 ip daddr 10.2.0.254'; do
		has "FW: IKE $pair" "$OUT" "^	+$pair udp dport 500 accept$"
		has "FW: ESP $pair" "$OUT" "^	+$pair meta l4proto esp accept$"
	done
	hasnt "FW: no AH (ESP-only action, no default response)" "$OUT" 'l4proto ah'
	# The decrypted front-end <-> back-end traffic crosses the firewall in clear on purpose.
	hasnt "FW: inspected traffic not dropped" "$OUT" '^\s+[^#].* drop$'
	has "FW: says why" "$OUT" '# tunnel-mode traffic: plaintext not dropped'
fi

# --- Kerberos exempt (level 2), ESP only, no default response ------------------------------
cat >"$TMP/krb.conf" <<'CONF'
no-default-exempt 2
kdc 10.1.0.10
filter-list fe-be {
	me -> 10.1.0.2 tcp port 80 mirrored
}
action esp-only {
	negotiate
	method esp aes-gcm-128
}
policy p {
	rule r {
		filters fe-be
		action esp-only
	}
	default-response no
}
use policy p
CONF
run "$ESPRIT" firewall-rules --block-plaintext -l 10.1.0.1/24 "$TMP/krb.conf"
printf '%s\n' "$OUT" >"$TMP/krb.nft"
nft_check "kerberos ruleset" "$TMP/krb.nft"
for t in tcp udp; do
	has "krb: $t to KDC" "$OUT" "^	+ip saddr 10.1.0.1 ip daddr 10.1.0.10 $t dport 88 accept$"
	has "krb: $t from KDC" "$OUT" "^	+ip saddr 10.1.0.10 ip daddr 10.1.0.1 $t sport 88 accept$"
done
has "krb: ESP" "$OUT" "meta l4proto esp accept$"
hasnt "krb: no AH when no method uses it" "$OUT" 'l4proto ah'
has "krb: HTTP dropped" "$OUT" "ip saddr 10.1.0.1 ip daddr 10.1.0.2 tcp dport 80 drop$"

# --- every kind of address, protocol and port the language has, at level 0 ------------------
cat >"$TMP/variety.conf" <<'CONF'
no-default-exempt 0
kdc 10.1.0.10
filter-list many {
	me -> 10.1.0.1-10.1.0.9 tcp sport 1024-65535 port 8000-8080 mirrored
	me -> 10.3.0.0/16 udp port 53 mirrored
	me -> 10.4.0.0/24 gre mirrored
	me -> 2001:db8:5::/64 icmp6 mirrored
	me -> 2001:db8:6::1-2001:db8:6::ff 132
	me -> any 99
}
filter-list dns-server {
	me -> 10.3.0.53 udp port 53 mirrored
}
action strict {
	negotiate
	method esp aes-gcm-256
}
policy p {
	rule a {
		filters many
		action strict
	}
	rule b {
		filters dns-server
		action permit
	}
}
use policy p
CONF
run "$ESPRIT" firewall-rules -b -l 10.1.0.100/24 -l 2001:db8:1::100/64 "$TMP/variety.conf"
printf '%s\n' "$OUT" >"$TMP/variety.nft"
nft_check "variety ruleset" "$TMP/variety.nft"
V4='ip saddr 10.1.0.100'
has "variety: address range, port ranges" "$OUT" \
	"^	+$V4 ip daddr 10.1.0.1-10.1.0.9 tcp sport 1024-65535 tcp dport 8000-8080 drop$"
has "variety: GRE by name" "$OUT" "^	+$V4 ip daddr 10.4.0.0/24 meta l4proto gre drop$"
has "variety: ICMPv6" "$OUT" \
	'^	+ip6 saddr 2001:db8:5::/64 ip6 daddr 2001:db8:1::100 meta l4proto ipv6-icmp drop$'
has "variety: IPv6 range, SCTP" "$OUT" \
	'ip6 daddr 2001:db8:6::1-2001:db8:6::ff meta l4proto sctp drop$'
has "variety: protocol by number, any remote" "$OUT" "^	+$V4 meta l4proto 99 drop$"
# The more specific permit (one DNS server) comes before the /16 drop, as on the host.
permit="$(grep -n "$V4 ip daddr 10.3.0.53 udp dport 53 accept" <<<"$OUT" | cut -d: -f1)"
drop="$(grep -n "$V4 ip daddr 10.3.0.0/16 udp dport 53 drop" <<<"$OUT" | cut -d: -f1)"
[ -n "$permit" ] && [ -n "$drop" ] && [ "$permit" -lt "$drop" ] &&
	ok "variety: permit of 10.3.0.53 before drop of 10.3.0.0/16" ||
	bad "variety: permit line '$permit', drop line '$drop'"
# Level 0 exempts Kerberos, RSVP, multicast and broadcast (of 10.1.0.0/24 too).
has "variety: RSVP" "$OUT" "^	+ip daddr 10.1.0.100 meta l4proto 46 accept$"
has "variety: multicast v4" "$OUT" '^	+ip daddr 224.0.0.0/4 accept$'
has "variety: multicast v6" "$OUT" '^	+ip6 daddr ff00::/8 accept$'
has "variety: broadcast" "$OUT" '^	+ip daddr 255.255.255.255 accept$'
has "variety: directed broadcast" "$OUT" '^	+ip daddr 10.1.0.255 accept$'
has "variety: Kerberos" "$OUT" "^	+$V4 ip daddr 10.1.0.10 udp dport 88 accept$"
hasnt "variety: no AH (ESP-only methods)" "$OUT" \
	"^	+$V4 ip daddr 10.4.0.0/24 meta l4proto ah accept$"

# --- tunnel mode: the endpoints are the tunnel's, not the inner hosts -------------------------
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
	default-response no
}
use policy gw
CONF
run "$ESPRIT" firewall-rules -l 192.0.2.2/24 "$TMP/tunnel.conf"
printf '%s\n' "$OUT" >"$TMP/tunnel.nft"
nft_check "tunnel ruleset" "$TMP/tunnel.nft"
has "tunnel: IKE between endpoints" "$OUT" \
	'^	+ip saddr 192.0.2.2 ip daddr 192.0.2.1 udp dport 500 accept$'
has "tunnel: ESP back" "$OUT" '^	+ip saddr 192.0.2.1 ip daddr 192.0.2.2 meta l4proto esp accept$'
hasnt "tunnel: not between inner hosts" "$OUT" 'saddr 10\.1\.0\.0/24 ip daddr 10\.2\.0\.0/24 udp'

# --- --table, and a real load in a private namespace ------------------------------------------
run "$ESPRIT" firewall-rules --table my_fw "${FE_L[@]}" "$FE"
has "--table renames" "$OUT" '^table inet my_fw \{$'
hasnt "--table: default name gone" "$OUT" 'esprit_fw'

NS="esprit-cli-test-$$"
if ip netns add "$NS" 2>/dev/null; then
	trap 'ip netns del "$NS" 2>/dev/null || true; rm -rf "$TMP"' EXIT
	ip netns exec "$NS" nft add table inet other
	ip netns exec "$NS" nft add chain inet other c
	"$ESPRIT" firewall-rules --block-plaintext "${FE_L[@]}" "$FE" >"$TMP/fe.nft"
	for i in 1 2; do
		if ip netns exec "$NS" nft -f "$TMP/fe.nft" 2>"$TMP/nfterr"; then
			ok "netns: load #$i"
		else
			bad "netns: load #$i: $(cat "$TMP/nfterr")"
		fi
	done
	tables="$(ip netns exec "$NS" nft list tables | sort | tr '\n' ' ')"
	[ "$tables" = "table inet esprit_fw table inet other " ] && ok "netns: other table kept" ||
		bad "netns: tables are: $tables"
	# Loaded twice, each rule exists once (the file replaces its table).
	n="$(ip netns exec "$NS" nft list table inet esprit_fw | grep -c 'tcp dport 80 drop')"
	[ "$n" -eq 2 ] && ok "netns: reload replaces (2 HTTP drops: IPv4, IPv6)" ||
		bad "netns: $n HTTP drop rules after two loads"
	ip netns del "$NS"
else
	bad "cannot create a network namespace"
fi

finish
