#!/usr/bin/env bash
# test_ike_psk.sh with 5-second Child SA lifetimes: rekeys during a long transfer.
ESPRIT_IKE_LIFE=5 exec bash "$(dirname "$0")/test_ike_psk.sh"
