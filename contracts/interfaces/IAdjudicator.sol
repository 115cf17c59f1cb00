// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ChannelState} from "../types/ChannelTypes.sol";
import {Transfer} from "../types/TransferTypes.sol";

/// @title IAdjudicator
/// @notice Unilateral settlement. Anyone may dispute with a co-signed state; a higher nonce replaces it during
///         the consensus phase; after that phase each asset is defunded once per defund nonce and the state's
///         active conditional transfers are disputed with merkle proofs and settled by their resolvers.
///
///         dispute ──► consensus phase ──► defund phase ──► (channel may carry on)
///                     (refute with a      (defund assets,
///                      higher nonce)       dispute transfers)
///         |<──── timeout ────>|<──── timeout ────>|
interface IAdjudicator {
    /// @notice The channel's dispute record.
    /// @param nonce The nonce of the disputed (or closed) state: no state at or below it is accepted again.
    /// @param consensusExpiry When the consensus phase ends (0 when the record comes from a close).
    /// @param defundExpiry When the defund phase ends.
    struct DisputeRecord {
        uint64 nonce;
        uint40 consensusExpiry;
        uint40 defundExpiry;
    }

    /// @notice The outcome record of a disputed conditional transfer.
    /// @param settleDeadline Until when only the responder's evidence can settle it; after it, anyone refunds.
    /// @param settled Whether it has been paid out.
    struct TransferRecord {
        uint40 settleDeadline;
        bool settled;
    }

    /// @notice A state was disputed, or a disputed state replaced by a newer one.
    /// @param nonce The disputed state's nonce.
    /// @param stateHash The disputed state's EIP-712 struct hash.
    /// @param consensusExpiry The end of the consensus phase.
    /// @param defundExpiry The end of the defund phase.
    event ChannelDisputed(uint256 nonce, bytes32 stateHash, uint256 consensusExpiry, uint256 defundExpiry);

    /// @notice An asset was paid out by a defund or a close.
    /// @param asset The token address, or address(0) for native currency.
    /// @param toAlice What alice is owed (pushed, or kept as her exit).
    /// @param toBob What bob is owed (pushed, or kept as his exit).
    /// @param defundNonce The asset's defund nonce now recorded.
    event AssetDefunded(address indexed asset, uint256 toAlice, uint256 toBob, uint256 defundNonce);

    /// @notice A conditional transfer of the disputed state was proven and its settlement window opened.
    /// @param transferId The transfer's id.
    /// @param settleDeadline Until when only the responder's evidence settles it.
    event TransferDisputed(bytes32 indexed transferId, uint256 settleDeadline);

    /// @notice A disputed transfer was paid out.
    /// @param transferId The transfer's id.
    /// @param toResponder What the responder is owed.
    /// @param toInitiator What returns to the initiator.
    event TransferSettled(bytes32 indexed transferId, uint256 toResponder, uint256 toInitiator);

    /// @notice The state's nonce is not above the recorded one.
    error StaleNonce(uint256 given, uint256 recorded);
    /// @notice A nonce above 2^64 - 1, which the record cannot hold.
    error NonceTooLarge(uint256 nonce);
    /// @notice The call needs the consensus phase to be over.
    error ConsensusPhaseNotOver(uint256 consensusExpiry);
    /// @notice A dispute is in its defund phase, where no new state is accepted.
    error ChannelInDefundPhase(uint256 defundExpiry);
    /// @notice The call needs the dispute's defund phase, which is over (or never started).
    error NotInDefundPhase(uint256 consensusExpiry, uint256 defundExpiry);
    /// @notice There is no dispute to act on.
    error NoDispute();
    /// @notice The given state is not the disputed one.
    error StateMismatch(bytes32 given, bytes32 disputed);
    /// @notice The asset was already paid out at this defund nonce (or a later one).
    error DefundNonceNotFresh(address asset, uint256 recorded, uint256 given);
    /// @notice The defund nonce does not fit the ledger's 24-bit counter.
    error DefundNonceTooLarge(uint256 defundNonce);
    /// @notice Only alice or bob may dispute again the state of a dispute that is over (equal nonce); anyone may
    ///         dispute a newer state.
    error NotAParty(address caller);
    /// @notice The transfer is not in the disputed state's transfers root.
    error InvalidMerkleProof(bytes32 transferId);
    /// @notice The transfer names another channel, or parties other than alice and bob.
    error InvalidTransfer(bytes32 transferId);
    /// @notice The transfer was already disputed.
    error TransferAlreadyDisputed(bytes32 transferId);
    /// @notice The transfer has not been disputed.
    error TransferNotDisputed(bytes32 transferId);
    /// @notice The transfer was already settled.
    error TransferAlreadySettled(bytes32 transferId);
    /// @notice Before the transfer's deadline only the responder, or someone with its signature, may settle it.
    error NotResponder(address caller);
    /// @notice The resolver reverted, ran out of its gas cap or returned malformed data.
    error ResolverFailed(address resolver);

    /// @notice The channel's dispute record.
    function disputeRecord() external view returns (DisputeRecord memory);

    /// @notice The EIP-712 struct hash of the disputed state (zero when none).
    function disputedStateHash() external view returns (bytes32);

    /// @notice The outcome record of a transfer.
    function transferRecord(bytes32 transferId) external view returns (TransferRecord memory);

    /// @notice Disputes the channel with a co-signed state, or replaces the disputed state with a newer one
    ///         during the consensus phase (without extending it). Anyone may call it. Once a dispute's defund
    ///         phase is over, the same state may be disputed again, by alice or bob only (NotAParty), to settle
    ///         what was not settled in time.
    /// @param state The co-signed state.
    /// @param aliceSignature Alice's EIP-712 signature of the state.
    /// @param bobSignature Bob's EIP-712 signature of the state.
    function disputeChannel(
        ChannelState calldata state,
        bytes calldata aliceSignature,
        bytes calldata bobSignature
    ) external;

    /// @notice During the defund phase, pays out `assets` as the disputed state says: each side its balance plus
    ///         the deposits the state has not processed; an asset the state does not list refunds each side's own
    ///         deposits. Each asset pays once per defund nonce. Anyone may call it.
    /// @param state The disputed state (checked against its recorded hash).
    /// @param assets The assets to defund.
    function defundChannel(ChannelState calldata state, address[] calldata assets) external;

    /// @notice During the defund phase, proves that `transfer` is in the disputed state's transfers root and opens
    ///         its settlement window. Anyone may call it.
    /// @param state The disputed state (checked against its recorded hash).
    /// @param transfer The transfer.
    /// @param proof Its merkle proof against `state.transfersRoot`.
    function disputeTransfer(
        ChannelState calldata state,
        Transfer calldata transfer,
        bytes32[] calldata proof
    ) external;

    /// @notice Settles a disputed transfer once. Before its deadline, with the responder's evidence: the resolver
    ///         decides (called with STATICCALL and a gas cap), by the responder or by anyone holding the
    ///         responder's signature of `TransferResolution(transferId, resolverData)`. After the deadline,
    ///         anyone returns the whole amount to the initiator without calling the resolver.
    /// @dev A push that fails while the token cannot answer balanceOf reverts the whole call with
    ///      IChannelCore.BalanceQueryFailed: the transfer stays unsettled rather than written off.
    /// @param transfer The disputed transfer.
    /// @param resolverData The responder's evidence (ignored after the deadline).
    /// @param responderSignature The responder's signature, or empty.
    function defundTransfer(
        Transfer calldata transfer,
        bytes calldata resolverData,
        bytes calldata responderSignature
    ) external;
}
