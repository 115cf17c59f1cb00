/**
 * Hardhat reports a network nobody answers on (HHE703, CONNECTION_REFUSED) as "Please make sure your node is
 * running, and check your internet connection and networks config", which misleads on `--network localhost`:
 * no internet is involved, a local node is simply not started. This turns that error into one naming the URL
 * and the command that starts the node (or, for a remote network, the variable that holds its RPC URL).
 */

/** The number of Hardhat's CONNECTION_REFUSED error (HardhatError.ERRORS.CORE.NETWORK.CONNECTION_REFUSED). */
const HARDHAT_CONNECTION_REFUSED = 703;

/** The `localhost` network's URL, as hardhat.config.ts reads it. */
export function localhostUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.SWITCHYARD_LOCALHOST_URL ?? "http://127.0.0.1:8545";
}

/** Whether `error` (or one of its causes) says nothing answers at the network's URL. */
export function isConnectionRefused(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const { number, code } = e as { number?: unknown; code?: unknown };
    if (e.name === "HardhatError" && number === HARDHAT_CONNECTION_REFUSED) return true;
    if (code === "ECONNREFUSED") return true;
  }
  return false;
}

/** A message for an unreachable network `networkName`, or undefined when `error` is something else. */
export function explainUnreachable(
  error: unknown,
  networkName: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (!isConnectionRefused(error)) return undefined;
  if (networkName === "localhost") {
    const url = localhostUrl(env);
    const port = new URL(url).port || "80";
    return (
      `no node answers on the "localhost" network at ${url}. Start one first, in another terminal: ` +
      `npx hardhat node --hostname 127.0.0.1${port === "8545" ? "" : ` --port ${port}`} (or anvil --port ${port}), then run this command again.`
    );
  }
  const variable = `${networkName.toUpperCase()}_RPC_URL`;
  return `no node answers on the "${networkName}" network: check its RPC URL (${variable}) and that the endpoint is up.`;
}
