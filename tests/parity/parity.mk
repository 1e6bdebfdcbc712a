# tests/parity/parity.mk: the PyTorch parity test. torch_parity.py writes the reference
# tensors (float64 torch, saved as float32) that build/san/test_nn_parity (tests/unit/) checks
# the C neural core against; the saved ones are data/parity_*.bin, and torch_parity.sh
# regenerates them into a temporary folder and compares again.
TEST_SCRIPTS += tests/parity/torch_parity.sh
