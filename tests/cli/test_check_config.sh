#!/usr/bin/env bash
# esprit check-config: the examples load (exit 0, "FILE: ok" and a summary); broken files
# exit 1 with every diagnostic as FILE:LINE:COL: error: ... on stderr. The expected line and
# column of each broken file below were counted by hand from the text (a tab is one column).
source "$(dirname "$0")/lib.sh"

# --- every example is valid ---------------------------------------------------------------
n=0
for f in "$EXAMPLES"/*.conf; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	b="$(basename "$f")"
	# The examples name key files under /etc/esprit; --no-secrets checks everything else.
	expect_rc "example $b" 0 "$ESPRIT" check-config --no-secrets "$f"
	has "example $b: ok line" "$OUT" "^$f: ok\$"
	has "example $b: summary" "$OUT" "^(policy '[^']+'|no policy in use)"
	[ -z "$ERR" ] && ok "example $b: stderr empty" || bad "example $b: stderr: $ERR"
done
[ "$n" -ge 2 ] && ok "found $n examples" || bad "only $n examples in $EXAMPLES"

# The front-end example: 1 rule; with its two addresses `me` expands to 3 IPv4 (80, 110, 143)
# and 3 IPv6 (80, 110, 143) filters, each mirrored: 12 specific filters.
FE="$EXAMPLES/frontend.conf"
if [ -e "$FE" ]; then
	expect_rc "frontend summary" 0 "$ESPRIT" check-config -n -l 10.1.0.1/24 \
		-l 2001:db8:1::1/64 "$FE"
	has "frontend: policy and rule count" "$OUT" "^policy 'frontend': 1 rule, default response on;"
	has "frontend: 12 specific filters" "$OUT" '; 12 specific filters;'
	has "frontend: level 3" "$OUT" 'no-default-exempt 3$'
	expect_rc "frontend --quiet" 0 "$ESPRIT" check-config -q -n "$FE"
	[ -z "$OUT" ] && ok "--quiet prints nothing" || bad "--quiet printed: $OUT"

	# Secrets are checked unless --no-secrets: a PSK file must be private (0600).
	psk="$TMP/backend.psk"
	printf 'correct horse battery staple\n' >"$psk"
	sed -e "s|/etc/esprit/backend.psk|$psk|" -e '/auth cert/d' "$FE" >"$TMP/fe-psk.conf"
	chmod 600 "$psk"
	expect_rc "PSK file 0600 accepted" 0 "$ESPRIT" check-config "$TMP/fe-psk.conf"
	chmod 644 "$psk"
	expect_rc "PSK file 0644 refused" 1 "$ESPRIT" check-config "$TMP/fe-psk.conf"
	line="$(grep -n 'auth psk' "$TMP/fe-psk.conf" | cut -d: -f1)"
	has "PSK refusal has file:line:col" "$ERR" "^$TMP/fe-psk.conf:$line:[0-9]+: error: .*$psk"
	hasnt "PSK refusal does not print the key" "$ERR" 'horse'
	expect_rc "--no-secrets skips the PSK file" 0 "$ESPRIT" check-config -n "$TMP/fe-psk.conf"
fi

# --- broken files ---------------------------------------------------------------------------
# broken NAME LINE:COL NEAR TEXT: TEXT (printf format) fails with that location.
broken() {
	local name="$1" loc="$2" near="$3" f="$TMP/$1.conf"
	# shellcheck disable=SC2059
	printf "$4" >"$f"
	expect_rc "broken $name" 1 "$ESPRIT" check-config -n "$f"
	has "broken $name: $loc" "$ERR" "^$f:$loc: error: .*near '$near'"
	[ -z "$OUT" ] && ok "broken $name: stdout empty" || bad "broken $name: stdout: $OUT"
}
broken unknown-list 6:11 nosuch \
	'filter-list l {\n\tme -> 10.1.0.2 tcp port 80\n}\npolicy p {\n\trule r {\n\t\tfilters nosuch\n\t\taction require-security\n\t}\n}\nuse policy p\n'
broken bad-address 2:8 10.1.0.300 \
	'filter-list l {\n\tme -> 10.1.0.300 tcp port 80\n}\nuse policy client-respond-only\n'
broken port-on-icmp 2:22 port \
	'filter-list l {\n\tme -> 10.1.0.2 icmp port 80\n}\nuse policy client-respond-only\n'
broken unknown-algorithm 3:13 aes-gcm-999 \
	'action a {\n\tnegotiate\n\tmethod esp aes-gcm-999\n}\nuse policy client-respond-only\n'
broken missing-brace 4:1 use \
	'filter-list l {\n\tme -> 10.1.0.2 tcp port 80\n\nuse policy client-respond-only\n'
broken unknown-policy 1:12 nosuch 'use policy nosuch\n'
# ike-method: the column is the unknown transform's, inside the word
broken unknown-ike-transform 1:24 'prfsha385-ecp384' \
	'ike-method aes256gcm16-prfsha385-ecp384\nuse policy client-respond-only\n'
broken ike-method-two-groups 1:29 'x25519' \
	'ike-method aes128gcm-ecp256-x25519\nuse policy client-respond-only\n'
broken bad-remote-id 2:12 'CN=a, XX=b' \
	'policy p {\n\tremote-id "CN=a, XX=b"\n}\nuse policy p\n'
# global IKE words: range-checked, the column is the value's
broken frag-size-small 2:19 255 \
	'use policy client-respond-only\nike-fragment-size 255\n'
broken keepalive-no-unit 1:15 20 \
	'nat-keepalive 20\nuse policy client-respond-only\n'
broken dpd-delay-long 1:11 2h 'dpd-delay 2h\nuse policy client-respond-only\n'
broken cookie-threshold-zero 1:22 0 \
	'ike-cookie-threshold 0\nuse policy client-respond-only\n'
broken fragmentation-maybe 1:19 maybe \
	'ike-fragmentation maybe\nuse policy client-respond-only\n'
f="$TMP/knobs.conf"
printf 'ike-fragmentation yes\nike-fragment-size 1280\nnat-keepalive 20s\ndpd-delay 30s\nike-cookie-threshold 64\nuse policy client-respond-only\n' >"$f"
expect_rc "global IKE words accepted" 0 "$ESPRIT" check-config -n "$f"

# Several errors in one file: all reported, in order.
f="$TMP/multi.conf"
printf 'filter-list l {\n\tme -> 10.1.0.2 tcp port 70000\n\tme -> 10.1.0.0/40 tcp\n}\nuse policy nosuch\n' >"$f"
expect_rc "multiple errors" 1 "$ESPRIT" check-config -n "$f"
[ "$(grep -c ': error: ' <<<"$ERR")" -eq 3 ] && ok "three diagnostics" ||
	bad "want 3 diagnostics: $ERR"
has "first at 2:26" "$(sed -n 1p <<<"$ERR")" "^$f:2:26: error: .*near '70000'"
has "second at 3:8" "$(sed -n 2p <<<"$ERR")" "^$f:3:8: error: .*near '10.1.0.0/40'"
has "third at 5:12" "$(sed -n 3p <<<"$ERR")" "^$f:5:12: error: .*near 'nosuch'"

# The other commands refuse a broken file the same way (exit 1, same diagnostics).
for cmd in "policy show" firewall-rules; do
	# shellcheck disable=SC2086
	expect_rc "$cmd on broken file" 1 "$ESPRIT" $cmd "$f"
	has "$cmd: diagnostics" "$ERR" "^$f:2:26: error: "
done
expect_rc "policy match on broken file" 1 "$ESPRIT" policy match --src 10.0.0.1 \
	--dst 10.0.0.2 "$f"

# "-" reads standard input; diagnostics name it <stdin>.
expect_rc "stdin broken" 1 "$ESPRIT" check-config - <<<'use policy nosuch'
has "stdin: <stdin>:1:12" "$ERR" "^<stdin>:1:12: error: .*near 'nosuch'"
if [ -e "$FE" ]; then
	expect_rc "stdin example" 0 "$ESPRIT" check-config -n - <"$FE"
	has "stdin: ok" "$OUT" '^-: ok$'
fi

expect_rc "unreadable path" 1 "$ESPRIT" check-config "$TMP/nope.conf"
has "unreadable path named" "$ERR" "nope.conf"
expect_rc "directory" 1 "$ESPRIT" check-config "$TMP"

finish
