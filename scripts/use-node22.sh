# Source this file (`source scripts/use-node22.sh`) to run this checkout on Node 22.
# When the system Node is older than 22.13 it installs Node 22 from the npm
# registry (the `node` package ships the binary) into .tools/node22 of this
# checkout, never touching the system install, and puts it first on PATH.
SWITCHYARD_NODE_VERSION="22.23.3"
_sy_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_sy_ok() {
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=13)?0:1)' 2>/dev/null
}
if ! _sy_ok; then
  _sy_bin="$_sy_root/.tools/node22/node_modules/.bin"
  if [ ! -x "$_sy_bin/node" ]; then
    echo "use-node22: installing node@$SWITCHYARD_NODE_VERSION from the npm registry into .tools/node22" >&2
    npm install --prefix "$_sy_root/.tools/node22" --no-save --no-audit --no-fund "node@$SWITCHYARD_NODE_VERSION" >&2 || return 1 2>/dev/null || exit 1
  fi
  export PATH="$_sy_bin:$PATH"
fi
echo "use-node22: $(command -v node) $(node --version)" >&2
unset -f _sy_ok
