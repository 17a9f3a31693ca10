#!/usr/bin/env bash
# c_api_test.sh - Runs the C API test program (c_api_test.c) on test artifacts,
# alone and, when mpirun is given, as a two-rank pipeline.
#
# usage: c_api_test.sh PATH/TO/cleave-make-test-artifact PATH/TO/c_api_test
#                      [PATH/TO/mpirun]
set -u

MAKE=$1
TEST=$2
MPIRUN=${3:-}
T=$(mktemp -d "${TMPDIR:-/tmp}/cleave-capi-XXXXXX")
trap 'rm -rf "$T"' EXIT

for kind in add chain:2:1 chain:2:4 chain:4:1; do
  "$MAKE" "$kind" "$T/${kind//:/_}.cleave" || exit 1
done

status=0
"$TEST" local "$T/add.cleave" "$T/chain_2_1.cleave" "$T" || status=1

if [[ -n $MPIRUN ]]; then
  # As root, and with more ranks than cores (see /work/shared/TOOLCHAIN.md).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
  # `timeout` turns a hang into a failure.
  timeout 60 "$MPIRUN" -np 2 "$TEST" mpi "$T/chain_2_4.cleave" "$T/chain_4_1.cleave" ||
    { echo "FAIL: mpirun -np 2 c_api_test mpi: exit $?"; status=1; }
fi
exit $status
