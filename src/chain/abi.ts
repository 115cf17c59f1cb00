/**
 * The channel's ABI (IChannel: every function, event and error of a channel proxy) as human-readable ethers
 * fragments, written out here so the SDK does not depend on generated code. `test/ts/sdk/abi.test.ts` proves it
 * equal, fragment for fragment, to the ABI the compiler produces for contracts/interfaces/IChannel.sol.
 */
import { Interface } from "ethers";

const ASSET_STATE =
  "(address asset, uint256 balanceAlice, uint256 balanceBob, uint256 processedAlice, uint256 processedBob, uint256 defundNonce)";
const CHANNEL_STATE = `(uint256 nonce, uint256 timeout, bytes32 transfersRoot, ${ASSET_STATE}[] assets)`;
const FINAL_STATE = `(uint256 nonce, ${ASSET_STATE}[] assets)`;
const TRANSFER =
  "(address channel, address resolver, address asset, uint256 amount, address initiator, address responder, uint256 timeout, bytes32 salt, bytes data)";
const WITHDRAW_COMMITMENT =
  "(address asset, address recipient, uint256 amount, uint256 nonce, address callTo, bytes callData)";

/** IChannel's fragments: what the SDK encodes, reads and decodes. */
export const CHANNEL_ABI: readonly string[] = [
  // IChannelCore
  "function alice() view returns (address)",
  "function bob() view returns (address)",
  "function factory() view returns (address)",
  "function totalDepositsAlice(address asset) view returns (uint256)",
  "function totalDepositsBob(address asset) view returns (uint256)",
  "function totalPaidOut(address asset) view returns (uint256)",
  "function defundNonce(address asset) view returns (uint256)",
  "function exitOf(address asset, address owner) view returns (uint256)",
  "function exitsOutstanding(address asset) view returns (uint256)",
  "function exitNonce(address owner) view returns (uint256)",
  "function withdrawExit(address asset, address owner, address recipient, bytes signature)",
  "event ExitRecorded(address indexed asset, address indexed owner, uint256 amount)",
  "event PayoutShortfall(address indexed asset, address indexed owner, uint256 amount)",
  "event ExitWithdrawn(address indexed asset, address indexed owner, address recipient, uint256 amount)",
  "error NotAChannel()",
  "error InvalidSignature(address signer)",
  "error AmountOverflow(uint256 amount)",
  "error NoExit(address asset, address owner)",
  "error TransferFailed(address asset, address to, uint256 amount)",
  "error BalanceQueryFailed(address asset)",
  "error InsufficientGas(uint256 available, uint256 required)",
  "error ReentrancyGuardReentrantCall()",
  "error ChannelLocked()",
  // IDepositUnit
  "function depositAlice(address asset, uint256 amount) payable",
  "function depositAliceEth() payable",
  "function creditAliceDeposit(address asset, uint256 amount)",
  "event AliceDeposited(address indexed asset, uint256 amount, uint256 totalDeposits)",
  "error ZeroDeposit(address asset)",
  "error DepositValueMismatch(uint256 expected, uint256 sent)",
  "error ChannelCapacityExceeded(address asset, uint256 balanceAfter, uint256 capacity)",
  "error OnlyFactory(address caller)",
  // IWithdrawUnit
  `function withdraw(${WITHDRAW_COMMITMENT} commitment, bytes aliceSignature, bytes bobSignature)`,
  "function isWithdrawExecuted(uint256 nonce) view returns (bool)",
  "event Withdrawn(address indexed asset, address indexed recipient, uint256 amount, uint256 nonce)",
  "error WithdrawAlreadyExecuted(uint256 nonce)",
  "error WithdrawHelperFailed(address callTo)",
  "error ZeroWithdraw()",
  // ICloseUnit
  `function closeChannel(${FINAL_STATE} state, bytes aliceSignature, bytes bobSignature)`,
  "event ChannelClosed(uint256 nonce)",
  // IAdjudicator
  "function disputeRecord() view returns ((uint64 nonce, uint40 consensusExpiry, uint40 defundExpiry))",
  "function disputedStateHash() view returns (bytes32)",
  "function transferRecord(bytes32 transferId) view returns ((uint40 settleDeadline, bool settled))",
  `function disputeChannel(${CHANNEL_STATE} state, bytes aliceSignature, bytes bobSignature)`,
  `function defundChannel(${CHANNEL_STATE} state, address[] assets)`,
  `function disputeTransfer(${CHANNEL_STATE} state, ${TRANSFER} transfer, bytes32[] proof)`,
  `function defundTransfer(${TRANSFER} transfer, bytes resolverData, bytes responderSignature)`,
  "event ChannelDisputed(uint256 nonce, bytes32 stateHash, uint256 consensusExpiry, uint256 defundExpiry)",
  "event AssetDefunded(address indexed asset, uint256 toAlice, uint256 toBob, uint256 defundNonce)",
  "event TransferDisputed(bytes32 indexed transferId, uint256 settleDeadline)",
  "event TransferSettled(bytes32 indexed transferId, uint256 toResponder, uint256 toInitiator)",
  "error StaleNonce(uint256 given, uint256 recorded)",
  "error NonceTooLarge(uint256 nonce)",
  "error ConsensusPhaseNotOver(uint256 consensusExpiry)",
  "error ChannelInDefundPhase(uint256 defundExpiry)",
  "error NotInDefundPhase(uint256 consensusExpiry, uint256 defundExpiry)",
  "error NoDispute()",
  "error StateMismatch(bytes32 given, bytes32 disputed)",
  "error NotAParty(address caller)",
  "error DefundNonceNotFresh(address asset, uint256 recorded, uint256 given)",
  "error DefundNonceTooLarge(uint256 defundNonce)",
  "error InvalidMerkleProof(bytes32 transferId)",
  "error InvalidTransfer(bytes32 transferId)",
  "error TransferAlreadyDisputed(bytes32 transferId)",
  "error TransferNotDisputed(bytes32 transferId)",
  "error TransferAlreadySettled(bytes32 transferId)",
  "error NotResponder(address caller)",
  "error ResolverFailed(address resolver)",
];

/** The channel's ethers Interface (encode calls, decode results, logs and custom errors). */
export const channelInterface: Interface = new Interface(CHANNEL_ABI);
