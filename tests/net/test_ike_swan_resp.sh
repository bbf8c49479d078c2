#!/usr/bin/env bash
# test_ike_swan.sh with strongSwan as the initiator (swanctl --initiate) and the second proposal
# set: IKE AES-CBC-256 + HMAC-SHA2-256 / PRF-SHA256 / X25519, ESP AES-CBC-128 + HMAC-SHA2-256.
ESPRIT_SWAN_INIT=swan ESPRIT_SWAN_SUITE=cbc exec bash "$(dirname "$0")/test_ike_swan.sh"
