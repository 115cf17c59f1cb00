/**
 * `npm run gas`: measures the full transaction gas (receipt.gasUsed) of every user-paid operation on the
 * embedded Hardhat network and writes reports/gas.json (operation → gas) and reports/gas.md (a table beside
 * the goals and the best peers' figures from BRIEF.md).
 *
 * `npm run gas:check` (SWITCHYARD_GAS_CHECK=1) measures the same and fails when any operation costs more than
 * the committed reports/gas.json says, or when an operation is missing from it: gas changes are deliberate.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { network } from "hardhat";
import {
  ZeroAddress,
  ZeroHash,
  id,
  parseEther,
  type ContractTransactionResponse,
  type Signer,
  type TransactionResponse,
} from "ethers";

import {
  CHANNEL_STATE_TYPES,
  EXIT_AUTHORIZATION_TYPES,
  FINAL_STATE_TYPES,
  WITHDRAW_TYPES,
  channelDomain,
  type AssetState,
  type ChannelState,
  type FinalState,
  type WithdrawCommitment,
} from "../src/protocol/typedData.js";
import { processProof } from "../src/protocol/merkle.js";
import { encodeHashlockResolution, encodeHashlockTerms, hashlockLock } from "../src/protocol/resolvers.js";
import { transferId, transferLeaf } from "../src/protocol/transfers.js";

const { ethers } = await network.create();
const signers = await ethers.getSigners();
function account(index: number) {
  const signer = signers[index];
  if (signer === undefined) throw new Error(`the network has no account #${index}`);
  return signer;
}
const aliceS = account(1);
const bobS = account(2);
const relayer = account(3);
const holder = account(4);
const alice = aliceS.address;
const bob = bobS.address;
const { chainId } = await ethers.provider.getNetwork();

const HOUR = 3_600n;
const factory = await ethers.deployContract("ChannelFactory", [[], HOUR, 7n * 24n * HOUR]);
const token = await ethers.deployContract("MockERC20", ["Gas Token", "GAS", 18]);
const hashlock = await ethers.deployContract("HashlockResolver");
const tokenAddr = await token.getAddress();
await (await token.mint(alice, parseEther("1000000"))).wait();
await (await token.mint(bob, parseEther("1000000"))).wait();
await (await token.mint(holder.address, parseEther("1"))).wait();

const gas: Record<string, number> = {};
async function measure(name: string, tx: Promise<ContractTransactionResponse | TransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${name} failed`);
  const used = Number(receipt.gasUsed);
  gas[name] = used;
  return used;
}

let saltCounter = 0;
const nextSalt = () => id(`gas-report-${saltCounter++}`);
const channelAt = (address: string) => ethers.getContractAt("ChannelMastercopy", address);
async function sign(signer: Signer, channel: string, types: typeof CHANNEL_STATE_TYPES, value: object) {
  return signer.signTypedData(channelDomain(chainId, channel), types, value as Record<string, unknown>);
}
const eth = (balanceAlice: bigint, balanceBob: bigint, processedAlice: bigint, processedBob: bigint): AssetState => ({
  asset: ZeroAddress,
  balanceAlice,
  balanceBob,
  processedAlice,
  processedBob,
  defundNonce: 1n,
});
const warp = async (seconds: bigint) => {
  await ethers.provider.send("evm_increaseTime", [Number(seconds)]);
  await ethers.provider.send("evm_mine", []);
};

// ─── channels and deposits ────────────────────────────────────────────────────────────────────────────────

{
  const salt = nextSalt();
  await measure("createChannel", factory.connect(aliceS).createChannel(alice, bob, salt));
  const ch = await channelAt(await factory.channelAddress(alice, bob, salt));
  const one = parseEther("1");
  // depositAliceEth() is handled by the proxy's own code (ChannelProxy); depositAlice(address(0), …) is the
  // generic entry point through the mastercopy, measured for comparison.
  await measure("depositEthTracked.first", ch.connect(aliceS).depositAliceEth({ value: one }));
  await measure("depositEthTracked.again", ch.connect(aliceS).depositAliceEth({ value: one }));
  await measure(
    "depositEthTracked.viaMastercopy.again",
    ch.connect(aliceS).depositAlice(ZeroAddress, one, { value: one }),
  );
  await measure("depositEthPlain.deployed", bobS.sendTransaction({ to: await ch.getAddress(), value: one }));
  await (await token.connect(aliceS).approve(await ch.getAddress(), ethers.MaxUint256)).wait();
  await measure("depositErc20Tracked.first", ch.connect(aliceS).depositAlice(tokenAddr, one));
  await measure("depositErc20Tracked.again", ch.connect(aliceS).depositAlice(tokenAddr, one));
  // The yardstick: a bare transferFrom of the same token under the same conditions (spender with an
  // unlimited allowance, sender and recipient balances both already non-zero).
  await (await token.connect(aliceS).approve(relayer.address, ethers.MaxUint256)).wait();
  await measure("erc20TransferFrom.reference", token.connect(relayer).transferFrom(alice, holder.address, one));
}

{
  const salt = nextSalt();
  const address = await factory.channelAddress(alice, bob, salt);
  await measure("depositEthPlain.counterfactual", bobS.sendTransaction({ to: address, value: parseEther("1") }));
  const two = parseEther("2");
  await measure(
    "createChannelAndDepositEth",
    factory.connect(aliceS).createChannelAndDeposit(alice, bob, salt, ZeroAddress, two, { value: two }),
  );
}

{
  await (await token.connect(aliceS).approve(await factory.getAddress(), ethers.MaxUint256)).wait();
  await measure(
    "createChannelAndDepositErc20",
    factory.connect(aliceS).createChannelAndDeposit(alice, bob, nextSalt(), tokenAddr, parseEther("5")),
  );
}

// ─── cooperative withdraw and close ───────────────────────────────────────────────────────────────────────

async function fundedChannel(ethAlice: bigint, ethBob: bigint): Promise<string> {
  const salt = nextSalt();
  const address = await factory.channelAddress(alice, bob, salt);
  if (ethBob > 0n) await (await bobS.sendTransaction({ to: address, value: ethBob })).wait();
  await (
    await factory.connect(aliceS).createChannelAndDeposit(alice, bob, salt, ZeroAddress, ethAlice, { value: ethAlice })
  ).wait();
  return address;
}

async function withdraw(channel: string, w: WithdrawCommitment, name: string) {
  const ch = await channelAt(channel);
  const sa = await sign(aliceS, channel, WITHDRAW_TYPES, w);
  const sb = await sign(bobS, channel, WITHDRAW_TYPES, w);
  await measure(name, ch.connect(bobS).withdraw(w, sa, sb));
}

{
  const channel = await fundedChannel(parseEther("5"), parseEther("5"));
  const w = {
    asset: ZeroAddress,
    recipient: bob,
    amount: parseEther("1"),
    nonce: 0n,
    callTo: ZeroAddress,
    callData: "0x",
  };
  await withdraw(channel, w, "withdrawEth");
  await withdraw(channel, { ...w, nonce: 1n }, "withdrawEth.again");
  const ch = await channelAt(channel);
  await (await token.connect(aliceS).approve(channel, ethers.MaxUint256)).wait();
  await (await ch.connect(aliceS).depositAlice(tokenAddr, parseEther("10"))).wait();
  await withdraw(channel, { ...w, asset: tokenAddr, nonce: 2n }, "withdrawErc20");
}

async function close(channel: string, f: FinalState, name: string, by: Signer = aliceS) {
  const ch = await channelAt(channel);
  const sa = await sign(aliceS, channel, FINAL_STATE_TYPES, f);
  const sb = await sign(bobS, channel, FINAL_STATE_TYPES, f);
  return measure(name, ch.connect(by).closeChannel(f, sa, sb));
}

{
  // The whole happy life cycle a user and a node pay for: bob funds the counterfactual address with a plain
  // transfer, alice creates the channel and deposits in one call, both co-sign a close that pays both.
  const salt = nextSalt();
  const address = await factory.channelAddress(alice, bob, salt);
  const bobFunds = await measure("happyPath.bobFunds", bobS.sendTransaction({ to: address, value: parseEther("3") }));
  const aliceFunds = await measure(
    "happyPath.aliceCreatesAndDeposits",
    factory.connect(aliceS).createChannelAndDeposit(alice, bob, salt, ZeroAddress, parseEther("3"), {
      value: parseEther("3"),
    }),
  );
  const p = parseEther("3");
  const closing = await close(
    address,
    { nonce: 7n, assets: [eth(p - parseEther("1"), p + parseEther("1"), p, p)] },
    "closeEth",
  );
  gas["happyPath.eth"] = bobFunds + aliceFunds + closing;
  // The same users' next open-and-close pair: a closed channel carries on (PROTOCOL.md §14), so the next life
  // cycle needs no new channel: bob funds it again, alice tops it up, a newer final state pays both.
  const ch = await channelAt(address);
  const bobAgain = await measure("happyPath.bobFunds", bobS.sendTransaction({ to: address, value: p }));
  const aliceAgain = await measure("happyPath.aliceDeposits", ch.connect(aliceS).depositAliceEth({ value: p }));
  const twice = 2n * p;
  const again: AssetState = { ...eth(p + parseEther("1"), p - parseEther("1"), twice, twice), defundNonce: 2n };
  const closingAgain = await close(address, { nonce: 8n, assets: [again] }, "closeEth.sameChannelAgain");
  gas["happyPath.eth.sameChannelAgain"] = bobAgain + aliceAgain + closingAgain;
  delete gas["happyPath.bobFunds"];
  delete gas["happyPath.aliceCreatesAndDeposits"];
  delete gas["happyPath.aliceDeposits"];
}

{
  const salt = nextSalt();
  const address = await factory.channelAddress(alice, bob, salt);
  await (await token.connect(bobS).transfer(address, parseEther("40"))).wait();
  await (await factory.connect(aliceS).createChannelAndDeposit(alice, bob, salt, tokenAddr, parseEther("60"))).wait();
  const asset: AssetState = {
    asset: tokenAddr,
    balanceAlice: parseEther("50"),
    balanceBob: parseEther("50"),
    processedAlice: parseEther("60"),
    processedBob: parseEther("40"),
    defundNonce: 1n,
  };
  await close(address, { nonce: 3n, assets: [asset] }, "closeErc20");
}

// ─── disputes ─────────────────────────────────────────────────────────────────────────────────────────────

async function dispute(channel: string, s: ChannelState, name: string, by: Signer) {
  const ch = await channelAt(channel);
  const sa = await sign(aliceS, channel, CHANNEL_STATE_TYPES, s);
  const sb = await sign(bobS, channel, CHANNEL_STATE_TYPES, s);
  return measure(name, ch.connect(by).disputeChannel(s, sa, sb));
}

{
  const p = parseEther("4");
  const channel = await fundedChannel(p, p);
  const stale: ChannelState = { nonce: 5n, timeout: HOUR, transfersRoot: ZeroHash, assets: [eth(p, p, p, p)] };
  const latest: ChannelState = { ...stale, nonce: 6n, assets: [eth(p - parseEther("1"), p + parseEther("1"), p, p)] };
  const disputed = await dispute(channel, stale, "disputeChannel", aliceS);
  await dispute(channel, latest, "refuteChannel", bobS);
  await warp(HOUR + 1n);
  const ch = await channelAt(channel);
  const defunded = await measure("defundChannel.1asset", ch.connect(bobS).defundChannel(latest, [ZeroAddress]));
  // Both pushes succeed, so no exit transaction is needed: the unilateral exit is the dispute and the defund.
  gas["unilateralExit.1asset"] = disputed + defunded;
}

{
  // An exit: a smart account that refuses ETH is paid by a close; its owner's signature moves the claim.
  const ownerKey = new ethers.Wallet(id("switchyard gas report exit owner")); // fixed: deterministic calldata
  const wallet = await ethers.deployContract("RejectingWallet", [ownerKey.address]);
  const walletAddr = await wallet.getAddress();
  const salt = nextSalt();
  const address = await factory.channelAddress(alice, walletAddr, salt);
  const p = parseEther("2");
  await (
    await factory.connect(aliceS).createChannelAndDeposit(alice, walletAddr, salt, ZeroAddress, p, { value: p })
  ).wait();
  const f: FinalState = { nonce: 1n, assets: [{ ...eth(parseEther("1"), parseEther("1"), p, 0n) }] };
  const ch = await channelAt(address);
  const domain = channelDomain(chainId, address);
  await (
    await ch.closeChannel(
      f,
      await aliceS.signTypedData(domain, FINAL_STATE_TYPES, f),
      await ownerKey.signTypedData(domain, FINAL_STATE_TYPES, f),
    )
  ).wait();
  const auth = { asset: ZeroAddress, recipient: holder.address, nonce: 0n };
  const sig = await ownerKey.signTypedData(domain, EXIT_AUTHORIZATION_TYPES, auth);
  await measure("exitEth", ch.connect(relayer).withdrawExit(ZeroAddress, walletAddr, holder.address, sig));
}

// ─── conditional transfers ────────────────────────────────────────────────────────────────────────────────

for (const depth of [1, 10]) {
  const p = parseEther("4");
  const channel = await fundedChannel(p, p);
  const preimage = id(`preimage-${depth}`);
  const expiry = 4_102_444_800n; // 2100-01-01: fixed, so calldata (and gas) does not depend on the clock
  const data = encodeHashlockTerms({ lockHash: hashlockLock(preimage), expiry });
  const amount = parseEther("1");
  const transfer = {
    channel,
    resolver: await hashlock.getAddress(),
    asset: ZeroAddress,
    amount,
    initiator: alice,
    responder: bob,
    timeout: HOUR,
    salt: id("t"),
    data,
  };
  // The proof only needs `depth` siblings: the root is the leaf folded with them as the contract folds it.
  const proof = Array.from({ length: depth }, (_, i) => id(`sibling-${depth}-${i}`));
  const root = processProof(transferLeaf(transferId(transfer)), proof);
  const s: ChannelState = { nonce: 9n, timeout: HOUR, transfersRoot: root, assets: [eth(p - amount, p, p, p)] };
  await dispute(channel, s, `disputeChannel.withTransfer.depth${depth}`, bobS);
  delete gas[`disputeChannel.withTransfer.depth${depth}`];
  await warp(HOUR + 1n);
  const ch = await channelAt(channel);
  const disputed = await measure(`disputeTransfer.depth${depth}`, ch.connect(bobS).disputeTransfer(s, transfer, proof));
  const settled = await measure(
    `defundTransfer.hashlock.depth${depth}`,
    ch.connect(bobS).defundTransfer(transfer, encodeHashlockResolution(preimage), "0x"),
  );
  gas[`disputeAndSettleHashlock.depth${depth}`] = disputed + settled;
}
// The resolver and payout do not depend on the proof depth.
gas["disputeTransfer"] = gas["disputeTransfer.depth1"]!;
gas["defundTransfer.hashlock"] = gas["defundTransfer.hashlock.depth1"]!;
gas["disputeAndSettleHashlock"] = gas["disputeAndSettleHashlock.depth1"]!;

// ─── report ───────────────────────────────────────────────────────────────────────────────────────────────

interface Goal {
  goal: string;
  peer: string;
  ok?: (g: Record<string, number>) => boolean;
}
// The goal is the cheapest peer's figure for the same operation, measured side by side on one EDR chain (BRIEF.md,
// issue 10: Connext vector and statechannels Nitro, each with its own compiler settings); the ERC20 row is Nitro's
// own report. `atMost` builds a goal "at or below that figure".
const atMost = (name: string, figure: number, peer: string): Goal => ({
  goal: `≤ ${figure.toLocaleString("en-US")}`,
  peer,
  ok: (g) => g[name]! <= figure,
});
const GOALS: Record<string, Goal> = {
  createChannel: atMost("createChannel", 136_203, "vector 136,203; Nitro none on chain"),
  "depositEthTracked.first": atMost("depositEthTracked.first", 46_556, "Nitro 46,556; vector 50,553"),
  "depositEthTracked.again": atMost("depositEthTracked.again", 29_528, "Nitro 29,528; vector 33,453"),
  "depositEthPlain.deployed": atMost("depositEthPlain.deployed", 25_984, "vector 25,984; Nitro none"),
  "depositErc20Tracked.again": atMost("depositErc20Tracked.again", 52_778, "Nitro 52,778 (its own report)"),
  withdrawEth: atMost("withdrawEth", 98_731, "vector 98,731"),
  "withdrawEth.again": atMost("withdrawEth.again", 81_615, "vector 81,615"),
  closeEth: atMost("closeEth", 92_428, "Nitro 92,428; vector 182,895 (2 withdraws)"),
  "happyPath.eth": atMost("happyPath.eth", 168_512, "Nitro 168,512; vector 372,513"),
  "happyPath.eth.sameChannelAgain": atMost(
    "happyPath.eth.sameChannelAgain",
    168_512,
    "Nitro 168,512; vector 372,513 (their happy path)",
  ),
  disputeChannel: atMost("disputeChannel", 113_242, "Nitro 113,242; vector 156,521"),
  refuteChannel: atMost("refuteChannel", 74_056, "Nitro 74,056; vector 81,928"),
  "defundChannel.1asset": atMost("defundChannel.1asset", 61_322, "Nitro 61,322; vector 142,544"),
  "unilateralExit.1asset": atMost("unilateralExit.1asset", 174_564, "Nitro 174,564; vector 398,576"),
  disputeAndSettleHashlock: atMost("disputeAndSettleHashlock", 258_477, "vector 258,477; Nitro none"),
};

const sorted = Object.fromEntries(Object.entries(gas).sort(([a], [b]) => a.localeCompare(b)));
const jsonPath = "reports/gas.json";

if (process.env.SWITCHYARD_GAS_CHECK === "1") {
  const committed = JSON.parse(readFileSync(jsonPath, "utf8")) as Record<string, number>;
  const problems: string[] = [];
  for (const [name, used] of Object.entries(sorted)) {
    const before = committed[name];
    if (before === undefined) problems.push(`${name}: ${used} is not in ${jsonPath} (regenerate with npm run gas)`);
    else if (used > before) problems.push(`${name}: ${used} > committed ${before} (+${used - before})`);
  }
  for (const name of Object.keys(committed)) {
    if (!(name in sorted)) problems.push(`${name}: in ${jsonPath} but no longer measured`);
  }
  if (problems.length > 0) {
    console.error(`gas check failed against ${jsonPath}:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`gas check: ${Object.keys(sorted).length} operations, none above ${jsonPath}`);
} else {
  mkdirSync("reports", { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(sorted, null, 2) + "\n");
  const rows = Object.entries(sorted).map(([name, used]) => {
    const goal = GOALS[name];
    const verdict = goal?.ok ? (goal.ok(sorted) ? "met" : "**missed**") : "";
    return `| \`${name}\` | ${used.toLocaleString("en-US")} | ${goal?.goal ?? ""} | ${verdict} | ${goal?.peer ?? ""} |`;
  });
  const ratio = (sorted["depositErc20Tracked.again"]! / sorted["erc20TransferFrom.reference"]!).toFixed(3);
  const md = [
    "# Gas report",
    "",
    "Full transaction gas (`receipt.gasUsed`, 21,000 intrinsic included) of each user-paid operation, measured",
    "by `npm run gas` (scripts/gas.ts) on the embedded Hardhat network, solc 0.8.34, optimizer 10,000 runs,",
    "EVM cancun. Regenerated with every change that moves it; `npm run gas:check` fails CI when an operation",
    "costs more than reports/gas.json. The goal is the cheapest peer's figure (vector and Nitro measured side by",
    "side on one EDR chain, BRIEF.md and issue 10; the ERC20 row is Nitro's own report).",
    "",
    "| operation | gas | goal | | best peer |",
    "| --- | ---: | --- | --- | --- |",
    ...rows,
    "",
    `Tracked ERC20 deposit (again) / bare transferFrom of the same token: ${ratio}×.`,
    "",
    "Conventions: `withdrawEth` is the first withdrawal of a channel (it opens a replay-protection word:",
    "one zero-to-non-zero store); `withdrawEth.again` is any later one in the same 256-nonce word.",
    "`depositEthTracked.*` use `depositAliceEth()`, which the proxy's own code handles (PROTOCOL.md §2);",
    "`depositEthTracked.viaMastercopy.again` is the generic `depositAlice(address(0), amount)` for comparison.",
    "`happyPath.eth` is bob's plain transfer to the counterfactual address + alice's `createChannelAndDeposit` +",
    "`closeEth`; `happyPath.eth.sameChannelAgain` is the same users' next pair on that channel after the close:",
    "bob's plain transfer + alice's `depositAliceEth` + `closeEth.sameChannelAgain` (PROTOCOL.md §14).",
    "`unilateralExit.1asset` is `disputeChannel` + `defundChannel.1asset` with both payouts pushed, so no exit",
    "transaction is needed; `exitEth` is the extra cost when a payout could not be pushed (a smart account that",
    "refuses ETH, moved by its owner's ERC-1271 signature through a relayer). Transfer rows are measured at",
    "proof depths 1 and 10; the unsuffixed rows are depth 1.",
    "",
  ].join("\n");
  writeFileSync("reports/gas.md", md);
  console.log(md);
}
