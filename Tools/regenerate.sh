#!/bin/sh
# Regenerates Generated/<stem>.swift for every Specs/<stem>.cnn with the built cnnc, and deletes
# Generated/*.swift files whose spec is gone. Run after any generator change, review the diff and
# commit it; GeneratedSyncTests fails while Generated/ is stale.
#
#   Tools/regenerate.sh                 # builds cnnc (debug) first
#   CNNC=/path/to/cnnc Tools/regenerate.sh   # uses that binary instead
#
# Every file is generated from the repository root with relative paths and a fixed target CPU,
#   cnnc Specs/<stem>.cnn -o Generated/<stem>.swift --target-cpu znver4
# so the output (header command line included) does not depend on the machine or the checkout
# path. GeneratedSyncTests regenerates each file with exactly this command line.
# (CNNC_RECORD=1 swift test --filter GeneratedSyncTests rewrites the files in process too.)
set -eu
cd "$(dirname "$0")/.."
TARGET_CPU=znver4

if [ -z "${CNNC:-}" ]; then
  swift build --product cnnc >&2
  CNNC="$(swift build --show-bin-path)/cnnc"
fi

mkdir -p Generated
count=0
for spec in Specs/*.cnn; do
  stem=$(basename "$spec" .cnn)
  "$CNNC" "Specs/$stem.cnn" -o "Generated/$stem.swift" --target-cpu "$TARGET_CPU" --quiet
  count=$((count + 1))
done
for file in Generated/*.swift; do
  [ -e "$file" ] || continue
  stem=$(basename "$file" .swift)
  if [ ! -e "Specs/$stem.cnn" ]; then
    rm -f "$file"
    echo "removed $file (no Specs/$stem.cnn)" >&2
  fi
done
echo "regenerated $count files in Generated/ (--target-cpu $TARGET_CPU)" >&2
