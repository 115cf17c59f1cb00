/**
 * The channel state machine: pure functions, no I/O, no clock (the caller passes `now`), no mutation of their
 * inputs. `nextState` computes the state an update leads to, checking every rule; `applyUpdate` checks an
 * update received from the counter-party against it, so a party signs only a state that follows from its
 * latest co-signed state by the rules.
 *
 * Rules (each throws its own error class, see errors.ts):
 * - nonce strictly +1 (NonceError): replayed, stale and out-of-order updates fail;
 * - the proposed state is exactly the computed one: balances conserved per asset (ConservationError), every
 *   other field equal (TamperedUpdateError);
 * - no balance below zero (NegativeBalanceError), no asset above the channel capacity counting the amounts
 *   locked in transfers (CapacityError);
 * - a transfer is at most the deployment's transfer cap (TransferCapError), names an accepted resolver
 *   (UnknownResolverError) whose policy accepts its terms, has a settle window (`timeout`) in
 *   [deployment minTimeout, channel timeout] (TimeoutError; the floor leaves the responder a whole reaction window
 *   after a transfer dispute, docs/PROTOCOL.md §12 rule 4), and a new id (DuplicateTransferError);
 * - a resolve pays the responder at most what was locked, exactly what the resolver policy says for the
 *   evidence, and only the responder proposes it (ResolutionError);
 * - a plain transfer moves a non-zero amount, at most the transfer cap, of an asset the channel holds from the
 *   proposer's balance to the other party's (NegativeBalanceError when the proposer's balance is short);
 * - a withdraw spends the next withdraw nonce and only the withdrawer's own balance (WithdrawError);
 * - a close needs no active transfer; after a close only a reopen may follow (ChannelClosedError), and a
 *   reopen only a close (ReopenError): it starts the next life cycle from what the close paid (reopen.ts).
 */
import { ZeroAddress, ZeroHash } from "ethers";

import { checksum } from "./address.js";
import { address, bytes32, checkDistinctAssets, checkTransferShape, checkUpdateShape, checkWithdrawShape, hex, uint } from "./shapes.js";

import {
  CapacityError,
  ChannelClosedError,
  ConservationError,
  DepositError,
  DuplicateTransferError,
  MalformedUpdateError,
  NegativeBalanceError,
  NonceError,
  ReopenError,
  ResolutionError,
  TamperedUpdateError,
  TimeoutError,
  TransferCapError,
  UnknownResolverError,
  UnknownTransferError,
  WithdrawError,
} from "./errors.js";
import type { AssetState, ChannelState, FinalState } from "./typedData.js";
import { reopenState } from "./reopen.js";
import { activeTransfer, type TransferPlan, type TransferSetView } from "./transfers.js";
import type {
  ChannelSetup,
  CreateDetails,
  DepositDetails,
  DeploymentLimits,
  Party,
  PolicyEnv,
  PlainTransferDetails,
  ResolveDetails,
  Update,
  UpdateContext,
  UpdateDetails,
  UpdatePayloads,
  WithdrawDetails,
} from "./types.js";

const MAX_UINT256 = (1n << 256n) - 1n;
/** The defund nonce of an asset first reconciled into a state (the channel records 0 before any defund). */
export const INITIAL_DEFUND_NONCE = 1n;
/** The first withdraw nonce a channel uses; each withdraw takes the next. */
export const FIRST_WITHDRAW_NONCE = 1n;

/**
 * Whether `nextState` / `applyUpdate` check the shape of what they are given (types, ranges, canonical form)
 * before the rules: "check" (the default) for any caller. SHAPE_CHECKED is for the Channel alone, on the fresh
 * object its boundary checks have just returned (src/channel/validate.ts: the wire's schemas or their fast path,
 * which accept exactly canonical uint256 bigints, checksummed addresses and lowercase hex) and that nothing else
 * holds yet: checking it again would be the same checks on the same, unchanged data. Every rule still runs.
 */
export type ShapeCheck = "check" | "already checked by the Channel's boundary";
export const SHAPE_CHECKED: ShapeCheck = "already checked by the Channel's boundary";

/** What the state machine reads of a channel. */
export interface ChannelSnapshot {
  /** The latest co-signed state (or the unsigned genesis state at nonce 0). */
  readonly state: ChannelState;
  readonly transfers: TransferSetView;
  readonly nextWithdrawNonce: bigint;
  readonly closed: boolean;
}

/** The outcome of an update: the new state and what the caller must commit besides it. */
export interface Transition {
  readonly state: ChannelState;
  /** The transfers change to apply (create / resolve). */
  readonly transfers?: TransferPlan;
  readonly nextWithdrawNonce: bigint;
  readonly closed: boolean;
  /** What both parties sign for this update. */
  readonly payloads: UpdatePayloads;
}

/** The genesis state of a channel: nonce 0, no asset, no transfer. Not signed: both parties derive it. */
export function genesisState(setup: ChannelSetup, limits: DeploymentLimits): ChannelState {
  checkSetup(setup, limits);
  return { nonce: 0n, timeout: setup.timeout, transfersRoot: ZeroHash, assets: [] };
}

/** Checks a channel setup against the deployment: distinct non-zero parties, a timeout within bounds. */
export function checkSetup(setup: ChannelSetup, limits: DeploymentLimits): void {
  const alice = address("alice", setup.alice);
  const bob = address("bob", setup.bob);
  address("channel", setup.channel);
  if (alice === ZeroAddress || bob === ZeroAddress || alice === bob) {
    throw new MalformedUpdateError(`alice ${alice} and bob ${bob} must be distinct non-zero addresses`);
  }
  if (setup.timeout < limits.minTimeout || setup.timeout > limits.maxTimeout) {
    throw new TimeoutError(
      `channel timeout ${setup.timeout}s is outside the deployment's bounds [${limits.minTimeout}, ${limits.maxTimeout}]`,
    );
  }
}

/**
 * The transition `details`, proposed by `proposer`, makes from `snapshot`. Throws a typed error when any rule
 * is broken. Used by the proposer to build its update and by the receiver (through applyUpdate) to check it.
 */
export function nextState(
  snapshot: ChannelSnapshot,
  proposer: Party,
  details: UpdateDetails,
  ctx: UpdateContext,
  shape: ShapeCheck = "check",
): Transition {
  if (snapshot.closed && details.type !== "reopen") {
    throw new ChannelClosedError("the channel was closed cooperatively: only a reopen can follow");
  }
  if (proposer !== "alice" && proposer !== "bob") throw new MalformedUpdateError(`unknown proposer ${String(proposer)}`);
  const base = snapshot.state;
  const assets = base.assets.map((a) => ({ ...a }));
  const nonce = base.nonce + 1n;
  let transition: Transition;
  switch (details.type) {
    case "deposit":
      transition = deposit(snapshot, assets, details);
      break;
    case "create":
      transition = create(snapshot, assets, proposer, details, ctx, shape);
      break;
    case "resolve":
      transition = resolve(snapshot, assets, proposer, details, ctx);
      break;
    case "withdraw":
      transition = withdraw(snapshot, assets, proposer, details);
      break;
    case "plain":
      transition = plain(snapshot, assets, proposer, details, ctx);
      break;
    case "close":
      if (snapshot.transfers.size > 0) {
        throw new ChannelClosedError(`cannot close with ${snapshot.transfers.size} active transfer(s)`);
      }
      transition = {
        state: { ...base, nonce, assets },
        nextWithdrawNonce: snapshot.nextWithdrawNonce,
        closed: true,
        payloads: {},
      };
      break;
    case "reopen":
      if (!snapshot.closed) throw new ReopenError("only a channel closed cooperatively can be reopened");
      transition = {
        state: reopenState(base, details),
        nextWithdrawNonce: snapshot.nextWithdrawNonce,
        closed: false,
        payloads: {},
      };
      break;
    default:
      throw new MalformedUpdateError(`unknown update type ${String((details as { type: unknown }).type)}`);
  }
  const state: ChannelState = { ...transition.state, nonce, timeout: base.timeout };
  checkCapacity(state, snapshot.transfers, transition.transfers, ctx.limits);
  const payloads: UpdatePayloads =
    details.type === "close"
      ? { final: { nonce, assets: state.assets } satisfies FinalState }
      : { ...transition.payloads, state };
  return { ...transition, state, payloads };
}

/**
 * Checks an update received from the counter-party: well formed, nonce = latest + 1, and a proposed state equal
 * to the one the rules give. Returns the transition to sign and commit; throws a typed error otherwise.
 */
export function applyUpdate(snapshot: ChannelSnapshot, update: Update, ctx: UpdateContext, shape: ShapeCheck = "check"): Transition {
  // An update the Channel's boundary has just parsed has its shape already; only the one shape rule no schema
  // states (each asset once) is left to check.
  if (shape === SHAPE_CHECKED) checkDistinctAssets(update.state.assets);
  else checkUpdateShape(update);
  const expectedNonce = snapshot.state.nonce + 1n;
  if (update.state.nonce !== expectedNonce) throw new NonceError(expectedNonce, update.state.nonce);
  const transition = nextState(snapshot, update.proposer, update.details, ctx, shape);
  compareStates(transition.state, update.state);
  return transition;
}

/** What both parties sign for an update (derived from the update alone, for checking stored updates). */
export function payloadsOf(update: Update): UpdatePayloads {
  const { details, state } = update;
  if (details.type === "close") return { final: { nonce: state.nonce, assets: state.assets } };
  if (details.type === "withdraw") return { state, withdraw: details.commitment };
  return { state };
}

/** Throws ConservationError or TamperedUpdateError when `proposed` differs from `expected`. */
export function compareStates(expected: ChannelState, proposed: ChannelState): void {
  if (proposed.nonce !== expected.nonce) throw new NonceError(expected.nonce, proposed.nonce);
  if (proposed.timeout !== expected.timeout) {
    throw new TamperedUpdateError("timeout", `expected ${expected.timeout}, got ${proposed.timeout}`);
  }
  if (proposed.assets.length !== expected.assets.length) {
    throw new TamperedUpdateError("assets", `expected ${expected.assets.length} assets, got ${proposed.assets.length}`);
  }
  expected.assets.forEach((e, i) => {
    const p = proposed.assets[i] as AssetState;
    if (checksum(p.asset) !== e.asset) throw new TamperedUpdateError(`assets[${i}].asset`, `expected ${e.asset}, got ${p.asset}`);
    const expectedTotal = e.balanceAlice + e.balanceBob;
    const proposedTotal = p.balanceAlice + p.balanceBob;
    if (expectedTotal !== proposedTotal) throw new ConservationError(e.asset, expectedTotal, proposedTotal);
    for (const field of ["balanceAlice", "balanceBob", "processedAlice", "processedBob", "defundNonce"] as const) {
      if (p[field] !== e[field]) {
        throw new TamperedUpdateError(`assets[${i}].${field}`, `expected ${e[field]}, got ${p[field]}`);
      }
    }
  });
  if (proposed.transfersRoot.toLowerCase() !== expected.transfersRoot) {
    throw new TamperedUpdateError("transfersRoot", `expected ${expected.transfersRoot}, got ${proposed.transfersRoot}`);
  }
}

// ───────────────────────────── update kinds ─────────────────────────────

function deposit(snapshot: ChannelSnapshot, assets: AssetState[], d: DepositDetails): Transition {
  const asset = address("deposit asset", d.asset);
  uint("totalDepositsAlice", d.totalDepositsAlice);
  uint("totalDepositsBob", d.totalDepositsBob);
  let entry = assets.find((a) => a.asset === asset);
  if (entry === undefined) {
    entry = { asset, balanceAlice: 0n, balanceBob: 0n, processedAlice: 0n, processedBob: 0n, defundNonce: INITIAL_DEFUND_NONCE };
    assets.push(entry);
  }
  if (d.totalDepositsAlice < entry.processedAlice) {
    throw new DepositError(asset, `alice's deposits ${d.totalDepositsAlice} are below the ${entry.processedAlice} already processed`);
  }
  if (d.totalDepositsBob < entry.processedBob) {
    throw new DepositError(asset, `bob's deposits ${d.totalDepositsBob} are below the ${entry.processedBob} already processed`);
  }
  if (d.totalDepositsAlice === entry.processedAlice && d.totalDepositsBob === entry.processedBob) {
    throw new DepositError(asset, "no new deposit to reconcile");
  }
  entry.balanceAlice += d.totalDepositsAlice - entry.processedAlice;
  entry.balanceBob += d.totalDepositsBob - entry.processedBob;
  entry.processedAlice = d.totalDepositsAlice;
  entry.processedBob = d.totalDepositsBob;
  return unchangedTransfers(snapshot, assets);
}

function create(
  snapshot: ChannelSnapshot,
  assets: AssetState[],
  proposer: Party,
  d: CreateDetails,
  ctx: UpdateContext,
  shape: ShapeCheck,
): Transition {
  const t = shape === SHAPE_CHECKED ? d.transfer : checkTransferShape(d.transfer); // see ShapeCheck
  const { setup } = ctx;
  if (t.channel !== checksum(setup.channel)) throw new MalformedUpdateError(`transfer names channel ${t.channel}, not ${setup.channel}`);
  const initiator = partyOf(t.initiator, setup);
  const responder = partyOf(t.responder, setup);
  if (initiator === undefined || responder === undefined || initiator === responder) {
    throw new MalformedUpdateError("a transfer's initiator and responder must be alice and bob, one each");
  }
  if (initiator !== proposer) throw new MalformedUpdateError(`only the initiator (${initiator}) may propose its transfer`);
  if (t.amount === 0n) throw new MalformedUpdateError("a transfer must lock a non-zero amount");
  const cap = ctx.limits.assets.get(t.asset)?.transferCap ?? MAX_UINT256;
  if (t.amount > cap) throw new TransferCapError(t.asset, t.amount, cap);
  const policy = ctx.resolvers.get(t.resolver);
  if (policy === undefined) throw new UnknownResolverError(t.resolver);
  checkTransferTimeout(t.timeout, snapshot.state.timeout, ctx.limits);
  policy.validateTerms(t, env(ctx, snapshot));
  const item = activeTransfer(t);
  if (snapshot.transfers.get(item.id) !== undefined) throw new DuplicateTransferError(item.id);
  const entry = assets.find((a) => a.asset === t.asset);
  const key = initiator === "alice" ? "balanceAlice" : "balanceBob";
  const balance = entry?.[key] ?? 0n;
  if (entry === undefined || balance < t.amount) throw new NegativeBalanceError(t.asset, initiator, balance, t.amount);
  entry[key] -= t.amount;
  return withTransfers(snapshot, assets, snapshot.transfers.planAddActive(item));
}

function resolve(
  snapshot: ChannelSnapshot,
  assets: AssetState[],
  proposer: Party,
  d: ResolveDetails,
  ctx: UpdateContext,
): Transition {
  const id = bytes32("transferId", d.transferId);
  uint("toResponder", d.toResponder);
  const resolverData = hex("resolverData", d.resolverData);
  const active = snapshot.transfers.get(id);
  if (active === undefined) throw new UnknownTransferError(id);
  const t = active.transfer;
  const responder = partyOf(t.responder, ctx.setup) as Party;
  const initiator: Party = responder === "alice" ? "bob" : "alice";
  if (proposer !== responder) throw new ResolutionError(id, `only the responder (${responder}) may propose its resolution`);
  if (d.toResponder > t.amount) {
    throw new ResolutionError(id, `pays the responder ${d.toResponder}, more than the ${t.amount} locked`);
  }
  if (resolverData === "0x") {
    if (d.toResponder !== 0n) throw new ResolutionError(id, "a resolution without evidence is a cancel and pays the responder 0");
  } else {
    const policy = ctx.resolvers.get(t.resolver);
    if (policy === undefined) throw new UnknownResolverError(t.resolver);
    const owed = policy.outcome(t, id, resolverData, env(ctx, snapshot));
    if (owed !== d.toResponder) {
      throw new ResolutionError(id, `the evidence gives the responder ${owed}, the update says ${d.toResponder}`);
    }
  }
  const entry = assets.find((a) => a.asset === t.asset);
  if (entry === undefined) throw new TamperedUpdateError("assets", `asset ${t.asset} of transfer ${id} is missing`);
  credit(entry, responder, d.toResponder);
  credit(entry, initiator, t.amount - d.toResponder);
  return withTransfers(snapshot, assets, snapshot.transfers.planRemove(id));
}

function withdraw(snapshot: ChannelSnapshot, assets: AssetState[], proposer: Party, d: WithdrawDetails): Transition {
  const c = checkWithdrawShape(d.commitment);
  if (d.party !== "alice" && d.party !== "bob") throw new MalformedUpdateError(`unknown withdrawer ${String(d.party)}`);
  if (d.party !== proposer) throw new WithdrawError(`only ${d.party} may propose withdrawing from its own balance`);
  if (c.nonce !== snapshot.nextWithdrawNonce) {
    throw new WithdrawError(`withdraw nonce ${c.nonce} is not the next unused one (${snapshot.nextWithdrawNonce})`);
  }
  if (c.amount === 0n) throw new WithdrawError("a withdraw of zero");
  const entry = assets.find((a) => a.asset === c.asset);
  const key = d.party === "alice" ? "balanceAlice" : "balanceBob";
  const balance = entry?.[key] ?? 0n;
  if (entry === undefined || balance < c.amount) throw new NegativeBalanceError(c.asset, d.party, balance, c.amount);
  entry[key] -= c.amount;
  return {
    state: { ...snapshot.state, assets },
    nextWithdrawNonce: snapshot.nextWithdrawNonce + 1n,
    closed: false,
    payloads: { withdraw: c },
  };
}

function plain(
  snapshot: ChannelSnapshot,
  assets: AssetState[],
  proposer: Party,
  d: PlainTransferDetails,
  ctx: UpdateContext,
): Transition {
  const asset = address("plain transfer asset", d.asset);
  const amount = uint("amount", d.amount);
  if (amount === 0n) throw new MalformedUpdateError("a plain transfer must move a non-zero amount");
  const cap = ctx.limits.assets.get(asset)?.transferCap ?? MAX_UINT256;
  if (amount > cap) throw new TransferCapError(asset, amount, cap);
  const entry = assets.find((a) => a.asset === asset);
  const from = proposer === "alice" ? "balanceAlice" : "balanceBob";
  const balance = entry?.[from] ?? 0n;
  if (entry === undefined || balance < amount) throw new NegativeBalanceError(asset, proposer, balance, amount);
  entry[from] -= amount;
  credit(entry, proposer === "alice" ? "bob" : "alice", amount);
  return unchangedTransfers(snapshot, assets);
}

// ───────────────────────────── helpers ─────────────────────────────

function credit(entry: AssetState, party: Party, amount: bigint): void {
  if (party === "alice") entry.balanceAlice += amount;
  else entry.balanceBob += amount;
}

/**
 * A transfer's settle window (its `timeout`: seconds after the on-chain transfer dispute during which the
 * responder may settle) must lie in [limits.minTimeout, channelTimeout]. The floor: after the initiator disputes
 * the transfer, the responder must see it and get its own claim mined, a reaction the deployment's minimum
 * dispute phase is sized for (docs/PROTOCOL.md §12 rule 4); a shorter window lets the initiator take the refund.
 */
export function checkTransferTimeout(timeout: bigint, channelTimeout: bigint, limits: DeploymentLimits): void {
  const floor = limits.minTimeout;
  if (timeout < floor || timeout > channelTimeout) {
    throw new TimeoutError(
      `transfer timeout ${timeout}s must be in [${floor}, ${channelTimeout}] (the deployment's minimum dispute ` +
        `timeout, which leaves the responder time to claim after a transfer dispute, up to the channel's timeout)`,
    );
  }
}

function unchangedTransfers(snapshot: ChannelSnapshot, assets: AssetState[]): Transition {
  return { state: { ...snapshot.state, assets }, nextWithdrawNonce: snapshot.nextWithdrawNonce, closed: false, payloads: {} };
}

function withTransfers(snapshot: ChannelSnapshot, assets: AssetState[], plan: TransferPlan): Transition {
  return {
    state: { ...snapshot.state, transfersRoot: plan.root, assets },
    transfers: plan,
    nextWithdrawNonce: snapshot.nextWithdrawNonce,
    closed: false,
    payloads: {},
  };
}

function env(ctx: UpdateContext, snapshot: ChannelSnapshot): PolicyEnv {
  return { now: ctx.now, channelTimeout: snapshot.state.timeout };
}

/** The amount locked in `asset` once `plan` is applied. */
function lockedAfter(transfers: TransferSetView, plan: TransferPlan | undefined, asset: string): bigint {
  let locked = transfers.lockedIn(asset);
  if (plan?.added?.transfer.asset === asset) locked += plan.added.transfer.amount;
  if (plan?.removed?.transfer.asset === asset) locked -= plan.removed.transfer.amount;
  return locked;
}

function checkCapacity(
  state: ChannelState,
  transfers: TransferSetView,
  plan: TransferPlan | undefined,
  limits: DeploymentLimits,
): void {
  for (const a of state.assets) {
    if (a.balanceAlice < 0n || a.balanceBob < 0n) {
      throw new NegativeBalanceError(a.asset, a.balanceAlice < 0n ? "alice" : "bob", 0n, 0n);
    }
    const capacity = limits.assets.get(a.asset)?.channelCapacity;
    if (capacity === undefined) continue;
    const total = a.balanceAlice + a.balanceBob + lockedAfter(transfers, plan, a.asset);
    if (total > capacity) throw new CapacityError(a.asset, total, capacity);
  }
}

function partyOf(addr: string, setup: ChannelSetup): Party | undefined {
  if (addr === checksum(setup.alice)) return "alice";
  if (addr === checksum(setup.bob)) return "bob";
  return undefined;
}

export { checkDetailsShape, checkUpdateShape } from "./shapes.js";
