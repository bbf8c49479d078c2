#!/usr/bin/env bash
# test_ike_swan.sh with certificates over IPv6 (strongSwan RSA-2048, esprit ECDSA P-256), esprit
# initiating with the AES-CBC/HMAC-SHA2-256/X25519 proposal set.
ESPRIT_SWAN_AUTH=cert ESPRIT_SWAN_KEYS=rsa ESPRIT_SWAN_FAMILY=6 ESPRIT_SWAN_SUITE=cbc \
	exec bash "$(dirname "$0")/test_ike_swan.sh"
