#!/usr/bin/env bash
# Builds the libFuzzer harness for the cnnc front end and runs it for a bounded time.
#
#   Tools/fuzz/run.sh [SECONDS] [MAX_LEN] [extra libFuzzer flags...]
#
#   SECONDS   total fuzzing time (default 300)
#   MAX_LEN   largest input libFuzzer generates (default 4096; try 100000 for long lines)
#
# Environment:
#   SWIFTC      compiler (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc)
#   FUZZ_DIR    build/work directory (default: .build-fuzz/fuzzer, git-ignored)
#   SKIP_BUILD  set to 1 to reuse an existing binary
#   SANITIZERS  -sanitize= list (default fuzzer,address). ASan makes big valid expansions
#               (600,000 layers) 10-60x slower than a release build and trips -timeout;
#               SANITIZERS=fuzzer fuzzes for hangs and traps at full speed
#   TIMEOUT     seconds one input may take (default 2)
#   CNNCORE_SOURCES  the CNNCore source directory to build (default: Sources/CNNCore); point it
#               at a clean checkout while other work in the tree does not compile
#
# The CNNCore sources are snapshotted and compiled straight into the fuzz binary with
# `-sanitize=fuzzer,address`. The working corpus grows in $FUZZ_DIR/corpus, seeded from
# Tools/fuzz/corpus-seed and the committed regressions in Tests/Fuzz/regressions; crashes,
# timeouts and leaks land in $FUZZ_DIR/artifacts. A finding should be minimised
# (`$FUZZ_DIR/fuzz-cnnc -minimize_crash=1 -runs=10000 FILE`), fixed, and committed under
# Tests/Fuzz/regressions, where RobustnessTests runs it on every `swift test`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_TO_RUN="${1:-300}"
MAX_LEN="${2:-4096}"
shift $(( $# > 2 ? 2 : $# ))
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
FUZZ_DIR="${FUZZ_DIR:-$ROOT/.build-fuzz/fuzzer}"
BINARY="$FUZZ_DIR/fuzz-cnnc-${SANITIZERS:-fuzzer,address}"
BINARY="${BINARY//,/-}"

mkdir -p "$FUZZ_DIR/corpus" "$FUZZ_DIR/artifacts"

if [[ "${SKIP_BUILD:-0}" != 1 || ! -x "$BINARY" ]]; then
  # Snapshot the sources so edits made while fuzzing cannot break a half-done build.
  rm -rf "$FUZZ_DIR/src" && mkdir -p "$FUZZ_DIR/src"
  cp -R "${CNNCORE_SOURCES:-$ROOT/Sources/CNNCore}" "$FUZZ_DIR/src/CNNCore"
  echo "building $BINARY" >&2
  # shellcheck disable=SC2046
  "$SWIFTC" -sanitize="${SANITIZERS:-fuzzer,address}" -parse-as-library -O -g \
    -module-name FuzzCNNC \
    $(find "$FUZZ_DIR/src/CNNCore" -name '*.swift' | sort) \
    "$ROOT/Tools/fuzz/FuzzCompilation.swift" \
    -o "$BINARY"
fi

SEEDS=("$ROOT/Tools/fuzz/corpus-seed")
[[ -d "$ROOT/Tests/Fuzz/regressions" ]] && SEEDS+=("$ROOT/Tests/Fuzz/regressions")

# -timeout=2: anything slower than two seconds is a hang for this front end (the issue's bound
# is one second on a release build; ASan makes the harness a few times slower).
exec "$BINARY" "$FUZZ_DIR/corpus" "${SEEDS[@]}" \
  -dict="$ROOT/Tools/fuzz/cnn.dict" \
  -max_len="$MAX_LEN" \
  -timeout="${TIMEOUT:-2}" \
  -rss_limit_mb=2048 \
  -max_total_time="$SECONDS_TO_RUN" \
  -artifact_prefix="$FUZZ_DIR/artifacts/" \
  -print_final_stats=1 \
  "$@"
