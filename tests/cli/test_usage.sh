#!/usr/bin/env bash
# esprit(8) command line: help, version, and exit status 2 with usage on stderr for every kind
# of bad argument (the contract documented in --help and the man page: 0 ok, 1 failure, 2 usage).
source "$(dirname "$0")/lib.sh"

CONF="$TMP/ok.conf"
printf 'use policy client-respond-only\n' >"$CONF"

# --- help and version: exit 0, text on stdout --------------------------------------------
expect_rc "--help" 0 "$ESPRIT" --help
has "--help lists check-config" "$OUT" '^  check-config '
has "--help lists policy show" "$OUT" '^  policy show '
has "--help lists policy match" "$OUT" '^  policy match '
has "--help lists firewall-rules" "$OUT" '^  firewall-rules '
has "--help documents exit 2" "$OUT" '2  usage error'
has "--help documents exit 1" "$OUT" '1  failure'
expect_rc "-h" 0 "$ESPRIT" -h
expect_rc "help" 0 "$ESPRIT" help

# The version printed is the project's version in CMakeLists.txt (catches drift).
want="$(sed -n 's/^project(esprit VERSION \([0-9.]*\).*/\1/p' "$SRC_DIR/CMakeLists.txt")"
expect_rc "--version" 0 "$ESPRIT" --version
[ "$OUT" = "esprit $want" ] && ok "version is $want" || bad "version '$OUT', want 'esprit $want'"

for cmd in check-config "policy show" "policy match" firewall-rules; do
	# shellcheck disable=SC2086
	expect_rc "help $cmd" 0 "$ESPRIT" help $cmd
	has "help $cmd shows usage" "$OUT" "^usage: esprit $cmd "
	# shellcheck disable=SC2086
	expect_rc "$cmd --help" 0 "$ESPRIT" $cmd --help
	has "$cmd --help shows options" "$OUT" '^Options:'
done
expect_rc "policy --help lists both" 0 "$ESPRIT" policy --help
has "policy --help: show" "$OUT" 'esprit policy show'
has "policy --help: match" "$OUT" 'esprit policy match'

# --- usage errors: exit 2, message and usage on stderr, nothing on stdout -----------------
usage_err() { # NAME PATTERN-IN-STDERR ARGS...
	local name="$1" pat="$2"
	shift 2
	expect_rc "$name" 2 "$ESPRIT" "$@"
	has "$name: says why" "$ERR" "$pat"
	[ -z "$OUT" ] && ok "$name: stdout empty" || bad "$name: stdout not empty: $OUT"
}
usage_err "no command" 'missing command' 
usage_err "unknown command" "unknown command 'frobnicate'" frobnicate
usage_err "unknown global option" "unknown option '--frob'" --frob
usage_err "help unknown" "unknown command 'nope'" help nope
usage_err "policy alone" 'missing subcommand' policy
usage_err "policy unknown sub" "unknown subcommand 'list'" policy list
usage_err "check-config no file" 'missing FILE' check-config
usage_err "check-config two files" 'only one FILE' check-config "$CONF" "$CONF"
usage_err "check-config bad option" "unknown option '--bogus'" check-config --bogus "$CONF"
usage_err "check-config bad short option" "unknown option '-x'" check-config -x "$CONF"
usage_err "--local bad address" "'10.1.0' is not an IPv4 or IPv6 address" \
	check-config --local 10.1.0 "$CONF"
usage_err "--local bad prefix" 'prefix length must be 0-32' check-config -l 10.1.0.1/33 "$CONF"
usage_err "--local v6 prefix" 'prefix length must be 0-128' check-config -l 2001:db8::1/129 "$CONF"
usage_err "--local missing arg" "option '--local' needs an argument" check-config "$CONF" --local
usage_err "policy show json=x" "unknown option '--json=x'" policy show --json=x "$CONF"
usage_err "firewall bad table" "is not a table name" firewall-rules --table 'x;y' "$CONF"

M=(policy match "$CONF")
usage_err "match no src" '--src and --dst are required' "${M[@]}" --dst 10.0.0.1
usage_err "match bad src" "'host.example' is not an IPv4 or IPv6 address" \
	"${M[@]}" --src host.example --dst 10.0.0.1
usage_err "match bad dst" "'300.1.1.1' is not an IPv4 or IPv6 address" \
	"${M[@]}" --src 10.0.0.2 --dst 300.1.1.1
usage_err "match mixed families" 'same address family' "${M[@]}" --src 10.0.0.2 --dst 2001:db8::1
usage_err "match port too big" "'65536' is not a port number" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --dport 65536
usage_err "match negative port" "'-1' is not a port number" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --sport=-1
usage_err "match port with junk" "'80x' is not a port number" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --dport 80x
usage_err "match bad proto" "'tcpp' is not a protocol" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --proto tcpp
usage_err "match proto 256" "'256' is not a protocol" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --proto 256
usage_err "match ports on icmp" 'need --proto tcp or udp' \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --proto icmp --dport 80
usage_err "match in and out" 'exclude each other' \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --in --out
usage_err "match missing arg" "option '--dport' needs an argument" \
	"${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --dport

# Accepted edge values.
expect_rc "port 0 and 65535 accepted" 0 "$ESPRIT" "${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 \
	--sport 0 --dport 65535
expect_rc "proto by number" 0 "$ESPRIT" "${M[@]}" --src 10.0.0.2 --dst 10.0.0.1 --proto 47
expect_rc "IPv6 packet" 0 "$ESPRIT" "${M[@]}" --src 2001:db8::2 --dst 2001:db8::1 --proto udp \
	--dport 53

# --- failures that are not usage errors: exit 1 ------------------------------------------
expect_rc "missing file" 1 "$ESPRIT" check-config "$TMP/does-not-exist.conf"
has "missing file named" "$ERR" 'does-not-exist.conf'

finish
