#!/usr/bin/env bash
# test_ike_swan.sh over IPv6 with strongSwan initiating a third proposal set: IKE AES-GCM-16-128
# / PRF-SHA256 / X25519, ESP ChaCha20-Poly1305 (RFC 7634).
ESPRIT_SWAN_FAMILY=6 ESPRIT_SWAN_INIT=swan ESPRIT_SWAN_SUITE=chacha \
	exec bash "$(dirname "$0")/test_ike_swan.sh"
