// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title Conditional transfer types
/// @notice A conditional transfer locked in a channel state. The state commits to the merkle root of the
///         leaves of its active transfers; a leaf is `keccak256(abi.encode(transferId))` where
///         `transferId = keccak256(abi.encode(transfer))`, so a leaf has a 32-byte preimage and an inner node a
///         64-byte one: no inner node can pass as a leaf.
/// @param channel The channel the transfer lives in (makes transfer ids unique across channels).
/// @param resolver The IResolver contract that decides the transfer's outcome.
/// @param asset The token address, or address(0) for native currency.
/// @param amount The amount locked: taken from the initiator's balance when the transfer was created.
/// @param initiator The party that locked the funds (alice or bob).
/// @param responder The other party, who is paid what the resolver decides.
/// @param timeout Seconds, counted from the on-chain dispute of the transfer, during which the responder may
///        settle it through the resolver; after them anyone may return the whole amount to the initiator.
/// @param salt Makes otherwise identical transfers distinct.
/// @param data The resolver-specific terms (for example a hashlock and its expiry).
struct Transfer {
    address channel;
    address resolver;
    address asset;
    uint256 amount;
    address initiator;
    address responder;
    uint256 timeout;
    bytes32 salt;
    bytes data;
}
