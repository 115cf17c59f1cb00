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
    function hashAssets(AssetState[] calldata assets) internal pure returns (bytes32) {
        uint256 count = assets.length;
        bytes32[] memory hashes = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            AssetState calldata a = assets[i];
            hashes[i] = keccak256(
                abi.encode(
                    ASSET_STATE_TYPEHASH,
                    a.asset,
                    a.balanceAlice,
                    a.balanceBob,
                    a.processedAlice,
                    a.processedBob,
                    a.defundNonce
                )
            );
        }
        return keccak256(abi.encodePacked(hashes));
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
}
