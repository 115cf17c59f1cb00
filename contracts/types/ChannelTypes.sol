// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title Channel state types
/// @notice The structs that both parties of a Switchyard channel sign as EIP-712 typed data.
/// @dev The TypeScript twin of every struct here is in `src/typedData.ts`; a test proves both hash alike.

/// @notice One asset's part of a channel state.
/// @param asset The token address, or address(0) for the chain's native currency.
/// @param balanceAlice What the state gives alice in this asset, excluding deposits it has not processed.
/// @param balanceBob What the state gives bob in this asset, excluding deposits it has not processed.
/// @param processedAlice Alice's cumulative deposits that the state has already counted into the balances.
/// @param processedBob Bob's cumulative deposits that the state has already counted into the balances.
/// @param defundNonce The asset's defund nonce: the state can pay this asset out on chain only while the
///        channel's recorded defund nonce for the asset is lower; paying it records this value.
struct AssetState {
    address asset;
    uint256 balanceAlice;
    uint256 balanceBob;
    uint256 processedAlice;
    uint256 processedBob;
    uint256 defundNonce;
}

/// @notice A co-signed channel state, the unit of disputes.
/// @param nonce Strictly increasing version number; a higher nonce replaces a lower one.
/// @param timeout Seconds of each dispute phase opened with this state, clamped to the deployment's bounds.
/// @param transfersRoot Merkle root of the active conditional transfers (bytes32(0) when there are none).
/// @param assets One entry per asset the channel has reconciled, each asset at most once.
struct ChannelState {
    uint256 nonce;
    uint256 timeout;
    bytes32 transfersRoot;
    AssetState[] assets;
}

/// @notice A co-signed final state: pays every listed asset out at once (cooperative close).
/// @dev Distinct type from ChannelState, so that no ordinary state signature can close a channel.
/// @param nonce Must exceed every nonce the channel has recorded; the close records it.
/// @param assets The balances to pay, with the same meaning as in ChannelState.
struct FinalState {
    uint256 nonce;
    AssetState[] assets;
}

/// @notice A co-signed withdraw commitment: pays `amount` of `asset` from the channel to `recipient` once.
/// @param asset The token address, or address(0) for native currency.
/// @param recipient Who receives the funds.
/// @param amount How much is paid.
/// @param nonce Replay protection: each withdraw nonce runs at most once per channel.
/// @param callTo Optional helper called after the payment (address(0) for none).
/// @param callData The data passed to `callTo`.
struct WithdrawCommitment {
    address asset;
    address recipient;
    uint256 amount;
    uint256 nonce;
    address callTo;
    bytes callData;
}
