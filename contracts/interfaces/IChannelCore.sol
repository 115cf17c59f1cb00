// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title IChannelCore
/// @notice What every unit of a Switchyard channel shares: the parties, the per-asset ledger, the payout rule
///         and exits (claims kept for an owner whose payout could not be pushed).
/// @dev Funds leave a channel only with one of these events: AssetDefunded (defund or close: both amounts),
///      TransferSettled (both amounts), Withdrawn, ExitWithdrawn; a push that failed adds ExitRecorded.
///      Every event of a channel is emitted by the channel itself, so the log's address is the channel; the
///      channel address is therefore indexed in every log without spending a topic on it.
///      Views of mutable channel state (every view of this interface, IWithdrawUnit and IAdjudicator except
///      `alice`, `bob` and `factory`) revert with ChannelLocked while the channel executes a call, so a hook or
///      helper running inside a payout cannot read a half-applied ledger (read-only re-entrancy).
interface IChannelCore {
    /// @notice A payout could not be pushed (the receiver reverted, the token refused, or the bounded gas ran
    ///         out), so it was kept as a claim its owner withdraws later with `withdrawExit`.
    /// @param asset The token address, or address(0) for native currency.
    /// @param owner Whose claim it is.
    /// @param amount The amount added to the claim.
    event ExitRecorded(address indexed asset, address indexed owner, uint256 amount);

    /// @notice A payout could neither be pushed nor kept in full because the channel does not hold the funds
    ///         (only possible when the token's balance shrank on its own, e.g. a negative rebase, or when both
    ///         parties signed balances the channel never held). Claims are only ever kept up to what the channel
    ///         holds beyond the claims already kept, so no claim can be paid from someone else's later deposit.
    /// @param asset The token address, or address(0) for native currency.
    /// @param owner Whose payout fell short.
    /// @param amount The part that could not be kept.
    event PayoutShortfall(address indexed asset, address indexed owner, uint256 amount);

    /// @notice A claim was paid out.
    /// @param asset The token address, or address(0) for native currency.
    /// @param owner Whose claim it was.
    /// @param recipient Who received the funds.
    /// @param amount How much left the channel.
    event ExitWithdrawn(address indexed asset, address indexed owner, address recipient, uint256 amount);

    /// @notice The call reached the mastercopy itself rather than a channel proxy.
    error NotAChannel();
    /// @notice `signer` did not sign the digest (bad, high-s, wrong-length or zero-address ECDSA signature, or
    ///         the ERC-1271 account refused it).
    error InvalidSignature(address signer);
    /// @notice An amount does not fit the ledger's 112-bit counters.
    error AmountOverflow(uint256 amount);
    /// @notice A claim of zero was asked for.
    error NoExit(address asset, address owner);
    /// @notice A transfer that must succeed failed (an exit withdrawal, or a withdraw with a helper call); the
    ///         whole call reverted, so nothing was spent.
    error TransferFailed(address asset, address to, uint256 amount);
    /// @notice A token's balanceOf call failed or returned malformed data.
    error BalanceQueryFailed(address asset);
    /// @notice The caller left too little gas for a bounded call (payout push or resolver) to get its allowance.
    error InsufficientGas(uint256 available, uint256 required);
    /// @notice A fund-moving entry point was called while the channel's re-entry lock is held (the call came
    ///         from a receiver, token, helper or resolver running inside another call of the same channel).
    /// @dev Same name and selector as OpenZeppelin's ReentrancyGuard error.
    error ReentrancyGuardReentrantCall();
    /// @notice A view of the channel's mutable state was called while the channel is executing a call (its re-entry
    ///         lock is held, e.g. from a payee's receive hook, a token hook or a withdraw helper): mid-call the
    ///         ledger is half-applied (payouts counted before they are sent), so no figure is given.
    error ChannelLocked();

    /// @notice The party that deposits through tracked calls (usually the node).
    function alice() external view returns (address);

    /// @notice The party that deposits by plain transfers to the channel address (usually the user).
    function bob() external view returns (address);

    /// @notice The factory that deployed this channel.
    function factory() external view returns (address);

    /// @notice Alice's cumulative tracked deposits of `asset`.
    function totalDepositsAlice(address asset) external view returns (uint256);

    /// @notice Bob's cumulative deposits of `asset`: what the channel holds and has paid out that alice's tracked
    ///         deposits do not explain (never negative).
    function totalDepositsBob(address asset) external view returns (uint256);

    /// @notice The cumulative amount of `asset` that has left the channel.
    function totalPaidOut(address asset) external view returns (uint256);

    /// @notice The highest defund nonce recorded for `asset` (0 before its first defund or close).
    function defundNonce(address asset) external view returns (uint256);

    /// @notice `owner`'s claim on `asset`, kept because a payout to it could not be pushed.
    function exitOf(address asset, address owner) external view returns (uint256);

    /// @notice The sum of all kept claims on `asset` (always covered by the channel's balance when it was kept).
    function exitsOutstanding(address asset) external view returns (uint256);

    /// @notice The next nonce an exit authorization signed by `owner` must carry. Every exit withdrawal of the
    ///         owner's, by a third party or by the owner itself, spends it.
    function exitNonce(address owner) external view returns (uint256);

    /// @notice Pays `owner`'s whole claim on `asset` to `recipient`.
    /// @dev The owner may call it alone for any recipient; anyone else needs the owner's EIP-712 signature of
    ///      `ExitAuthorization(asset, recipient, nonce)` with the owner's current exit nonce. Either way the call
    ///      spends that nonce, so an authorization the owner gave and did not need dies with the claim it was
    ///      meant for. Reverts with BalanceQueryFailed while the token cannot answer balanceOf (the claim stays).
    /// @param asset The token address, or address(0) for native currency.
    /// @param owner Whose claim is paid.
    /// @param recipient Who receives it.
    /// @param signature The owner's signature, or empty when the owner calls.
    function withdrawExit(address asset, address owner, address recipient, bytes calldata signature) external;
}
