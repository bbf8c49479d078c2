#!/usr/bin/env bash
# bench/net/wireguard.sh: wireguard-go (userspace WireGuard, Debian) in both namespaces, UDP
# 51820 over the veth, tunnel addresses 10.78.0.1/.2. See lib.sh for the output.
BN_KIND=wireguard
BN_NAME=${BN_NAME:-wireguard-go}
# shellcheck source=bench/net/lib.sh
. "$(dirname "$0")/lib.sh"

command -v wireguard-go >/dev/null || bn_skip "wireguard-go not installed"
command -v wg >/dev/null || bn_skip "wg (wireguard-tools) not installed"
[ -c /dev/net/tun ] || bn_skip "no /dev/net/tun"
# The UAPI sockets live in /var/run/wireguard, shared by all namespaces: unique names.
WGA=wga$BN_SFX
WGB=wgb$BN_SFX
BN_INNER_A=10.78.0.1
BN_INNER_B=10.78.0.2

bn_down() { rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"; }

# bn_wg NS IF KEY PEER_PUB ADDR PEER_ADDR ENDPOINT
bn_wg() {
	ip netns exec "$1" env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
		wireguard-go -f "$2" >"$BN_TMP/$2.log" 2>&1 &
	BN_TPIDS+=($!)
	bn_wait_for 10 test -S "/var/run/wireguard/$2.sock" || return 1
	ip netns exec "$1" wg set "$2" private-key "$3" listen-port 51820 peer "$4" \
		allowed-ips "$6/32" endpoint "$7:51820" || return 1
	ip -n "$1" addr add "$5/24" dev "$2"
	ip -n "$1" link set "$2" up
}

bn_up() {
	umask 077
	wg genkey >"$BN_TMP/a.key"
	wg genkey >"$BN_TMP/b.key"
	bn_wg "$BN_A" "$WGA" "$BN_TMP/a.key" "$(wg pubkey <"$BN_TMP/b.key")" $BN_INNER_A \
		$BN_INNER_B $BN_ADDR_B &&
		bn_wg "$BN_B" "$WGB" "$BN_TMP/b.key" "$(wg pubkey <"$BN_TMP/a.key")" $BN_INNER_B \
			$BN_INNER_A $BN_ADDR_A
}

bn_main
