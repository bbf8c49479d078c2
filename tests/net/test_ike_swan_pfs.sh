#!/usr/bin/env bash
# test_ike_swan.sh with PFS in another group than the IKE SA's (IKE ECP-256, strongSwan's ESP
# proposal AES-GCM-128 with X25519 only), esprit initiating and rekeying every ~3.6 s: esprit's
# KE guess (ECP-256) is answered with INVALID_KE_PAYLOAD and esprit retries with X25519
# (RFC 7296 1.3); strongSwan's own rekeys with X25519 are accepted.
ESPRIT_SWAN_PFS=x25519 ESPRIT_SWAN_LIFETIME=4s exec bash "$(dirname "$0")/test_ike_swan.sh"
