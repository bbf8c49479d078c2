#!/usr/bin/env bash
# bench/net/openvpn.sh: OpenVPN 2.6 (Debian) peer to peer in both namespaces, TLS with
# certificates made here (ECDSA P-256), data channel AES-256-GCM, UDP 1194, userspace (DCO
# off), tunnel addresses 10.79.0.1/.2. See lib.sh for the output.
BN_KIND=openvpn
BN_NAME=${BN_NAME:-openvpn}
# shellcheck source=bench/net/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openvpn >/dev/null || bn_skip "openvpn not installed"
[ -c /dev/net/tun ] || bn_skip "no /dev/net/tun"
BN_INNER_A=10.79.0.1
BN_INNER_B=10.79.0.2

# bn_cert NAME ISSUER_NAME EXTRA_OPENSSL_ARGS...: key and certificate NAME.{key,crt}
bn_cert() {
	local d=$BN_TMP name=$1 ca=$2
	shift 2
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
		-keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null || return 1
	if [ "$ca" = self ]; then
		openssl x509 -req -in "$d/$name.csr" -signkey "$d/$name.key" -days 2 \
			-out "$d/$name.crt" "$@" 2>/dev/null
	else
		openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
			-CAcreateserial -days 2 -out "$d/$name.crt" "$@" 2>/dev/null
	fi
}

# bn_ovpn NS NAME ROLE LOCAL_INNER REMOTE_INNER REMOTE_OUTER
bn_ovpn() {
	ip netns exec "$1" openvpn --dev tun --proto udp --port 1194 --remote "$6" \
		--ifconfig "$4" "$5" --"$3" --ca "$BN_TMP/ca.crt" --cert "$BN_TMP/$2.crt" \
		--key "$BN_TMP/$2.key" --dh none --data-ciphers AES-256-GCM --cipher AES-256-GCM \
		--disable-dco --verb 3 --writepid "$BN_TMP/$2.pid" >"$BN_TMP/$2.log" 2>&1 &
	BN_TPIDS+=($!)
}

bn_up() {
	umask 077
	printf 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n' >"$BN_TMP/ca.ext"
	printf 'extendedKeyUsage=serverAuth\n' >"$BN_TMP/srv.ext"
	printf 'extendedKeyUsage=clientAuth\n' >"$BN_TMP/cli.ext"
	bn_cert ca self -extfile "$BN_TMP/ca.ext" &&
		bn_cert b ca -extfile "$BN_TMP/srv.ext" &&
		bn_cert a ca -extfile "$BN_TMP/cli.ext" || return 1
	bn_ovpn "$BN_B" b tls-server $BN_INNER_B $BN_INNER_A $BN_ADDR_A
	bn_ovpn "$BN_A" a tls-client $BN_INNER_A $BN_INNER_B $BN_ADDR_B
	bn_wait_for 20 grep -q "Initialization Sequence Completed" "$BN_TMP/a.log" || {
		tail -20 "$BN_TMP/a.log" "$BN_TMP/b.log" >&2
		return 1
	}
	grep -q "Data Channel: cipher 'AES-256-GCM'" "$BN_TMP/a.log" ||
		bn_log "warning: data channel cipher is not AES-256-GCM: $(grep 'Data Channel' "$BN_TMP/a.log")"
}

bn_main
