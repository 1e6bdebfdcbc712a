#!/bin/sh
# torch_parity.sh: regenerates the PyTorch reference tensors into a temporary folder and checks
# the C neural core against them (torch_parity.py beside it, then build/san/test_nn_parity).
# Without torch it says so and counts nothing; the saved tensors are still checked by
# build/san/test_nn_parity itself.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT" || exit 1
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "torch_parity: skipped: /usr/bin/python3 has no torch"
    summary
    exit 0
fi
dir=$(mktemp -d)
out=$(/usr/bin/python3 tests/parity/torch_parity.py --out "$dir" 2>&1)
rc=$?
echo "$out"
check "torch reference written and C matches it" [ $rc -eq 0 ]
check "all four parity models compared" [ "$(echo "$out" | grep -c '^ok   parity_')" -eq 4 ]
rm -rf "$dir"
summary
