// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../types/ChannelTypes.sol";

/// @title ChannelHashing
/// @notice EIP-712 hashing of everything a Switchyard channel's parties sign.
/// @dev The domain is bound to the chain id and to the channel's own address (verifyingContract), and the
///      channel address is derived by CREATE2 from the factory, so a signature is valid for one chain, one
///      deployment and one channel only. Each signed struct has its own type hash, so a signature for one
///      kind of commitment can never be taken for another.
library ChannelHashing {
    /// @dev keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    bytes32 internal constant DOMAIN_TYPEHASH = 0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f;
    /// @dev keccak256("Switchyard")
    bytes32 internal constant NAME_HASH = keccak256("Switchyard");
    /// @dev keccak256("1")
    bytes32 internal constant VERSION_HASH = keccak256("1");

    string internal constant ASSET_STATE_TYPE =
        "AssetState(address asset,uint256 balanceAlice,uint256 balanceBob,"
        "uint256 processedAlice,uint256 processedBob,uint256 defundNonce)";
    bytes32 internal constant ASSET_STATE_TYPEHASH = keccak256(bytes(ASSET_STATE_TYPE));

    bytes32 internal constant CHANNEL_STATE_TYPEHASH =
        keccak256(
            abi.encodePacked(
                "ChannelState(uint256 nonce,uint256 timeout,bytes32 transfersRoot,AssetState[] assets)",
                ASSET_STATE_TYPE
            )
        );

    bytes32 internal constant FINAL_STATE_TYPEHASH =
        keccak256(abi.encodePacked("FinalState(uint256 nonce,AssetState[] assets)", ASSET_STATE_TYPE));

    bytes32 internal constant WITHDRAW_TYPEHASH =
        keccak256(
            "WithdrawCommitment(address asset,address recipient,uint256 amount,uint256 nonce,"
            "address callTo,bytes callData)"
        );

    bytes32 internal constant TRANSFER_RESOLUTION_TYPEHASH =
        keccak256("TransferResolution(bytes32 transferId,bytes resolverData)");

    bytes32 internal constant EXIT_AUTHORIZATION_TYPEHASH =
        keccak256("ExitAuthorization(address asset,address recipient,uint256 nonce)");

    /// @notice The EIP-712 domain separator of `channel` on the current chain.
    function domainSeparator(address channel) internal view returns (bytes32 separator) {
        separator = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, channel));
    }

    /// @notice The EIP-712 digest a signer signs for `structHash` in `channel`'s domain.
    function digest(address channel, bytes32 structHash) internal view returns (bytes32 result) {
        bytes32 separator = domainSeparator(channel);
        // Same layout as OpenZeppelin's MessageHashUtils.toTypedDataHash: "\x19\x01" ‖ separator ‖ structHash.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, hex"1901")
            mstore(add(ptr, 0x02), separator)
            mstore(add(ptr, 0x22), structHash)
            result := keccak256(ptr, 0x42)
        }
    }

    /// @notice The EIP-712 hash of an array of asset states (keccak of the concatenated struct hashes).
    function hashAssets(AssetState[] calldata assets) internal pure returns (bytes32 result) {
        bytes32 typehash = ASSET_STATE_TYPEHASH;
        // AssetState is a static 6-word struct, so the calldata array is `count` consecutive 192-byte records.
        // Each struct hash is keccak256(typehash ‖ 6 words), written to consecutive words after the free memory
        // pointer (used as scratch and not claimed), then hashed together. A field with dirty high bits would
        // hash differently from what was signed and so fail signature checks; it cannot forge anything.
        assembly ("memory-safe") {
            let count := assets.length
            let hashes := mload(0x40)
            let buf := add(hashes, shl(5, count))
            mstore(buf, typehash)
            for {
                let i := 0
            } lt(i, count) {
                i := add(i, 1)
            } {
                calldatacopy(add(buf, 0x20), add(assets.offset, mul(i, 0xc0)), 0xc0)
                mstore(add(hashes, shl(5, i)), keccak256(buf, 0xe0))
            }
            result := keccak256(hashes, shl(5, count))
        }
    }

    /// @notice The EIP-712 struct hash of a channel state whose asset array hash is already known.
    function hashChannelState(
        uint256 nonce,
        uint256 timeout,
        bytes32 transfersRoot,
        bytes32 assetsHash
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(CHANNEL_STATE_TYPEHASH, nonce, timeout, transfersRoot, assetsHash));
    }

    /// @notice The EIP-712 struct hash of a channel state.
    function hashChannelState(ChannelState calldata state) internal pure returns (bytes32) {
        return hashChannelState(state.nonce, state.timeout, state.transfersRoot, hashAssets(state.assets));
    }

    /// @notice The EIP-712 struct hash of a final (closing) state.
    function hashFinalState(FinalState calldata state) internal pure returns (bytes32) {
        return keccak256(abi.encode(FINAL_STATE_TYPEHASH, state.nonce, hashAssets(state.assets)));
    }

    /// @notice The EIP-712 struct hash of a withdraw commitment.
    function hashWithdraw(WithdrawCommitment calldata w) internal pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    WITHDRAW_TYPEHASH,
                    w.asset,
                    w.recipient,
                    w.amount,
                    w.nonce,
                    w.callTo,
                    keccak256(w.callData)
                )
            );
    }

    /// @notice The EIP-712 struct hash of a responder's authorization to settle a transfer with `resolverData`.
    function hashTransferResolution(bytes32 transferId, bytes calldata resolverData) internal pure returns (bytes32) {
        return keccak256(abi.encode(TRANSFER_RESOLUTION_TYPEHASH, transferId, keccak256(resolverData)));
    }

    /// @notice The EIP-712 struct hash of an owner's authorization to pay its exit to `recipient`.
    function hashExitAuthorization(address asset, address recipient, uint256 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encode(EXIT_AUTHORIZATION_TYPEHASH, asset, recipient, nonce));
    }
}
