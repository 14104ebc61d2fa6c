#!/usr/bin/env bash
# Installs what tatami needs to run against a real Lean, and builds
# lean_project/ (the pinned toolchain, the Lean REPL, the example theorems):
#   1. elan, the Lean toolchain manager (Debian package `elan`);
#   2. the toolchain named in lean_project/lean-toolchain;
#   3. lean_project: fetches the REPL at its pinned tag and builds it and
#      Examples.lean.
# Each step is skipped when already done. A step that needs the internet first
# checks that it is reachable (a few seconds at most) and, if not, stops with
# a message naming the step and the command to run once online: nothing is
# downloaded behind your back, and nothing hangs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/lean_project"
TOOLCHAIN="$(tr -d '[:space:]' < "$PROJECT/lean-toolchain")"

say() { printf 'setup-lean: %s\n' "$*"; }
die() { printf 'setup-lean: error: %s\n' "$*" >&2; exit 1; }

# Succeeds if https://$1 answers within 5 seconds.
reachable() {
  if command -v curl >/dev/null 2>&1; then
    curl -sS -o /dev/null --connect-timeout 5 --max-time 8 "https://$1" >/dev/null 2>&1
  else
    timeout 5 bash -c "exec 3<>/dev/tcp/$1/443" >/dev/null 2>&1
  fi
}

need_internet() {  # $1 = host, $2 = step description, $3 = command to run later
  if ! reachable "$1"; then
    die "step '$2' needs the internet, but $1 is not reachable (checked with a 5 s timeout).
  Nothing was downloaded. Once online, run:
    $3
  or rerun scripts/setup-lean.sh."
  fi
}

# --- 1. elan ----------------------------------------------------------------
if command -v elan >/dev/null 2>&1; then
  say "1/3 elan: found $(command -v elan) ($(elan --version 2>/dev/null | head -n1))"
else
  if ! apt-cache policy elan 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    die "step 'install elan': this system's package lists have no 'elan' package (it is in Debian bookworm and later).
  Install elan another way (see https://github.com/leanprover/elan), then rerun this script."
  fi
  need_internet deb.debian.org "install elan (apt-get install elan)" "sudo apt-get install -y elan"
  say "1/3 elan: installing the Debian package"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y elan
fi

# --- 2. the pinned toolchain ---------------------------------------------------
if elan toolchain list 2>/dev/null | grep -qF "${TOOLCHAIN#leanprover/lean4:}"; then
  say "2/3 toolchain: $TOOLCHAIN already installed"
else
  need_internet github.com "install toolchain $TOOLCHAIN" "elan toolchain install $TOOLCHAIN"
  say "2/3 toolchain: installing $TOOLCHAIN"
  elan toolchain install "$TOOLCHAIN"
fi

# --- 3. lean_project -------------------------------------------------------------
cd "$PROJECT"
if [ ! -d .lake/packages/REPL ]; then
  need_internet github.com "fetch the Lean REPL (lake build in lean_project)" "cd lean_project && lake build Examples REPL/repl"
fi
say "3/3 lean_project: building Examples and the REPL (lake build)"
lake build Examples REPL/repl
say "done. Run a worker with: cd lean_project && lake exe repl"
say "real-Lean tests: ctest --test-dir <build dir> -L lean"
