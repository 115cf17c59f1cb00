// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IHashlockResolver} from "../interfaces/IHashlockResolver.sol";
import {IResolver} from "../interfaces/IResolver.sol";

/// @title HashlockResolver
/// @notice Pays the whole locked amount to the responder who reveals the SHA-256 preimage of the lock before
///         its expiry. Stateless and ownerless.
/// @dev See IHashlockResolver for the encoding of terms and evidence and for the expiry rules.
contract HashlockResolver is IHashlockResolver {
    /// @dev Length of `abi.encode(bytes32 lockHash, uint256 expiry)`.
    uint256 private constant TERMS_LENGTH = 64;
    /// @dev Length of `abi.encode(bytes32 preimage)`.
    uint256 private constant RESOLVER_DATA_LENGTH = 32;

    /// @inheritdoc IResolver
    function validate(bytes calldata data, uint256 amount) external view override {
        (bytes32 lockHash, uint256 expiry) = _decodeTerms(data);
        if (lockHash == bytes32(0)) revert ZeroLockHash();
        if (amount == 0) revert ZeroAmount();
        // An expiry at or before now could never be resolved (resolve refuses from `expiry` on).
        if (block.timestamp >= expiry) revert HashlockExpired(expiry, block.timestamp);
    }

    /// @inheritdoc IResolver
    function resolve(
        bytes32 /* transferId */,
        bytes calldata data,
        uint256 amount,
        bytes calldata resolverData
    ) external view override returns (uint256 toResponder) {
        (bytes32 lockHash, uint256 expiry) = _decodeTerms(data);
        if (block.timestamp >= expiry) revert HashlockExpired(expiry, block.timestamp);
        if (resolverData.length != RESOLVER_DATA_LENGTH) {
            revert InvalidResolverDataLength(RESOLVER_DATA_LENGTH, resolverData.length);
        }
        bytes32 preimage = bytes32(resolverData);
        if (_lockHashOf(preimage) != lockHash) revert InvalidPreimage();
        toResponder = amount;
    }

    /// @inheritdoc IHashlockResolver
    function lockHashOf(bytes32 preimage) external pure override returns (bytes32 lockHash) {
        lockHash = _lockHashOf(preimage);
    }

    /// @inheritdoc IHashlockResolver
    function decodeTerms(bytes calldata data) external pure override returns (bytes32 lockHash, uint256 expiry) {
        (lockHash, expiry) = _decodeTerms(data);
    }

    /// @dev SHA-256 (precompile 0x02) of the 32-byte preimage, as Bitcoin and Lightning HTLCs compute it.
    function _lockHashOf(bytes32 preimage) private pure returns (bytes32) {
        return sha256(abi.encode(preimage));
    }

    /// @dev Both fields are full 32-byte words, so any 64 bytes decode without a dirty-bits failure.
    function _decodeTerms(bytes calldata data) private pure returns (bytes32 lockHash, uint256 expiry) {
        if (data.length != TERMS_LENGTH) revert InvalidTermsLength(TERMS_LENGTH, data.length);
        (lockHash, expiry) = abi.decode(data, (bytes32, uint256));
    }
}
