#!/usr/bin/env bash
# bench/net/strongswan.sh: strongSwan 5.9.8 (Debian) charon with the kernel-libipsec plugin
# (userspace ESP over its TUN ipsec0; this kernel has no ESP) in both namespaces: IKEv2 with a
# PSK, host-to-host tunnel mode, ESP AES-GCM-128 in UDP 4500 (the only encapsulation that
# backend has). Each charon gets a private /run (its pid file path is compiled in). Setup as in
# ../shared/notes/strongswan-peer.md. See lib.sh for the output.
BN_KIND=strongswan
BN_NAME=${BN_NAME:-strongswan}
# shellcheck source=bench/net/lib.sh
. "$(dirname "$0")/lib.sh"

CHARON=/usr/lib/ipsec/charon
[ -x "$CHARON" ] || bn_skip "strongSwan charon not installed"
command -v swanctl >/dev/null || bn_skip "swanctl not installed"
[ -c /dev/net/tun ] || bn_skip "no /dev/net/tun"

# bn_sw_conf NAME LOCAL REMOTE: strongswan.conf and swanctl.conf in $BN_TMP/NAME
bn_sw_conf() {
	local d=$BN_TMP/$1
	mkdir -p "$d/run" "$d/swanctl/conf.d"
	cat >"$d/strongswan.conf" <<CONF
charon {
	load_modular = no
	load = random nonce openssl pem pkcs1 pkcs8 x509 revocation constraints pubkey curve25519 sha1 sha2 hmac gcm aes kdf kernel-libipsec kernel-netlink socket-default vici
	filelog {
		log { path = $d/charon.log
		      default = 1 }
	}
	plugins {
		kernel-libipsec { allow_peer_ts = yes }
		socket-default { fwmark = 0x42 }
		kernel-netlink { fwmark = !0x42 }
		vici { socket = unix://$d/charon.vici }
	}
}
CONF
	cat >"$d/swanctl/swanctl.conf" <<CONF
connections {
	bench {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes128gcm16-prfsha256-x25519
		local { auth = psk
			id = $2 }
		remote { auth = psk
			id = $3 }
		children {
			bench {
				mode = tunnel
				local_ts = $2/32
				remote_ts = $3/32
				esp_proposals = aes128gcm16
				start_action = none
			}
		}
	}
}
secrets {
	ike-bench {
		id-a = $BN_ADDR_A
		id-b = $BN_ADDR_B
		secret = "$(cat "$BN_TMP/psk")"
	}
}
CONF
}

# bn_charon NS NAME
bn_charon() {
	local d=$BN_TMP/$1
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	ip netns exec "$1" unshare -m sh -c "mount --bind '$d/run' /run && exec env \
		STRONGSWAN_CONF='$d/strongswan.conf' $CHARON" >"$d/stdout.log" 2>&1 &
	BN_TPIDS+=($!)
	bn_wait_for 15 test -S "$d/charon.vici" || return 1
	ip netns exec "$1" env SWANCTL_DIR="$d/swanctl" swanctl --load-all --noprompt \
		--uri "unix://$d/charon.vici" >"$d/load.log" 2>&1
}

bn_up() {
	umask 077
	openssl rand -hex 24 >"$BN_TMP/psk"
	bn_sw_conf "$BN_A" $BN_ADDR_A $BN_ADDR_B
	bn_sw_conf "$BN_B" $BN_ADDR_B $BN_ADDR_A
	bn_charon "$BN_B" && bn_charon "$BN_A" || {
		tail -n 20 "$BN_TMP"/*/*.log >&2
		return 1
	}
	ip netns exec "$BN_A" env SWANCTL_DIR="$BN_TMP/$BN_A/swanctl" swanctl \
		--initiate --uri "unix://$BN_TMP/$BN_A/charon.vici" --ike bench --child bench \
		--timeout 15 >"$BN_TMP/initiate.log" 2>&1 || {
		tail -30 "$BN_TMP/initiate.log" >&2
		return 1
	}
}

bn_main
