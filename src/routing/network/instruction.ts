/**
 * A planned route as the locks carry it (docs/PROTOCOL.md §17.4): the payer's lock to its node, and the route
 * instruction that lock travels with (the recipient of the payer's node's downstream lock, that lock's expiry and
 * amount, and the onward `path` each next node forwards along; the last step's recipient is the payee). The shape is
 * the node's `RouteInstruction` with its `path` of steps. Pure, browser-safe.
 */
import type { NetworkRoute, RouteHop } from "./types.js";
import { checkNetworkRoute } from "./validate.js";

/** One onward step: the next lock's recipient, expiry and amount. */
export interface RouteStepInstruction {
  recipient: string;
  expiry: bigint;
  amount: bigint;
}

/** What the payer's lock carries to the payer's node. */
export interface NetworkRouteInstruction extends RouteStepInstruction {
  /** The steps after `recipient` (absent when `recipient` is the payee). */
  path?: RouteStepInstruction[];
}

/** The payer's lock terms (amount, expiry, lock hash) and the instruction it carries, for `route`. */
export function routeInstructionOf(route: NetworkRoute): {
  lock: { amount: bigint; expiry: bigint; lockHash: string };
  instruction: NetworkRouteInstruction;
} {
  const steps: RouteStepInstruction[] = route.hops.map((hop: RouteHop, i: number) => ({
    recipient: route.hops[i + 1]?.node ?? route.payee,
    expiry: hop.expiryOut,
    amount: hop.amountOut,
  }));
  const [first, ...rest] = steps as [RouteStepInstruction, ...RouteStepInstruction[]];
  const hop0 = route.hops[0] as RouteHop;
  return {
    lock: { amount: hop0.amountIn, expiry: hop0.expiryIn, lockHash: route.lockHash },
    instruction: { ...first, ...(rest.length > 0 ? { path: rest } : {}) },
  };
}

/**
 * What the payer does with a route its node answered (`route.find`) before it locks anything: checks it
 * (checkNetworkRoute: shape, loops, expiries, and its total fee against the payer's `maxFee`: RouteFeeError above
 * it) and, only then, gives the lock to make and the instruction to send with it. Nothing is signed here: a route
 * that fails throws before the payer's lock exists.
 */
export function payerLockOf(
  route: NetworkRoute,
  payer: { now: bigint; maxFee: bigint; margin?: bigint },
): ReturnType<typeof routeInstructionOf> {
  checkNetworkRoute(route, { now: payer.now, maxFee: payer.maxFee, ...(payer.margin !== undefined ? { margin: payer.margin } : {}) });
  return routeInstructionOf(route);
}
