// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "./IResolver.sol";

/// @title IHashlockResolver
/// @notice The hash time-locked transfer (HTLC), the routing primitive of Switchyard: the responder is paid the
///         whole locked amount if it reveals, before an absolute expiry, the preimage of the transfer's lock.
/// @dev Terms (`data`): `abi.encode(bytes32 lockHash, uint256 expiry)` where `expiry` is an absolute unix
///      timestamp (seconds) and `lockHash = sha256(preimage)` over the 32-byte preimage. Evidence (`resolverData`):
///      `abi.encode(bytes32 preimage)`.
///
///      The lock uses SHA-256, not keccak256, so that the same preimage can unlock a Bitcoin / Lightning HTLC
///      (which use SHA-256 payment hashes): a Switchyard transfer can be one leg of a cross-chain atomic swap.
///      Because the preimage is exactly 32 bytes, `sha256(abi.encode(preimage))` is the SHA-256 of those 32
///      bytes, the same value as a Lightning payment hash.
///
///      After expiry the resolver refuses every preimage. The initiator's refund does not go through the
///      resolver: the channel returns the locked amount once the transfer's own dispute timeout has passed. A
///      route of several hops uses the same lock with strictly decreasing expiries, so that each hop can still
///      claim upstream after learning the preimage downstream.
interface IHashlockResolver is IResolver {
    /// @notice The terms are not exactly `abi.encode(bytes32, uint256)`.
    /// @param expected The required length in bytes (64).
    /// @param actual The length received.
    error InvalidTermsLength(uint256 expected, uint256 actual);

    /// @notice The evidence is not exactly `abi.encode(bytes32)`.
    /// @param expected The required length in bytes (32).
    /// @param actual The length received.
    error InvalidResolverDataLength(uint256 expected, uint256 actual);

    /// @notice The terms name the zero lock hash, which no preimage can open.
    error ZeroLockHash();

    /// @notice The transfer locks nothing.
    error ZeroAmount();

    /// @notice The hashlock has expired (or, in `validate`, would be expired at creation).
    /// @param expiry The absolute expiry of the lock (unix seconds).
    /// @param currentTime The block timestamp at which it was checked.
    error HashlockExpired(uint256 expiry, uint256 currentTime);

    /// @notice The preimage does not hash to the lock hash.
    error InvalidPreimage();

    /// @notice The lock hash a preimage opens: SHA-256 of the 32-byte preimage.
    /// @param preimage The secret.
    /// @return lockHash `sha256(abi.encode(preimage))`.
    function lockHashOf(bytes32 preimage) external pure returns (bytes32 lockHash);

    /// @notice Decodes and checks the shape of hashlock terms.
    /// @dev Reverts with `InvalidTermsLength` when `data` is not 64 bytes long; does not check the values.
    /// @param data The terms, `abi.encode(bytes32 lockHash, uint256 expiry)`.
    /// @return lockHash The lock.
    /// @return expiry The absolute expiry (unix seconds).
    function decodeTerms(bytes calldata data) external pure returns (bytes32 lockHash, uint256 expiry);
}
