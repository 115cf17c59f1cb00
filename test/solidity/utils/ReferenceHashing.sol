// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";

/// @title ReferenceHashing
/// @notice The EIP-712 digests of everything a party signs, written out in the test suite from the type strings of
///         PROTOCOL.md §5, independently of contracts/libraries/ChannelHashing.sol (no shared constant, no assembly).
///         A test that signs these digests fails when the contract's own hashing drops or reorders a field, which a
///         test signing the contract's digest (through ChannelHashingHarness) cannot notice.
library ReferenceHashing {
    string internal constant ASSET_STATE =
        "AssetState(address asset,uint256 balanceAlice,uint256 balanceBob,"
        "uint256 processedAlice,uint256 processedBob,uint256 defundNonce)";

    function domainSeparator(address channel) internal view returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                    keccak256(bytes("Switchyard")),
                    keccak256(bytes("1")),
                    block.chainid,
                    channel
                )
            );
    }

    function digest(address channel, bytes32 structHash) internal view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(channel), structHash));
    }

    function assetsHash(AssetState[] memory assets) internal pure returns (bytes32) {
        bytes memory packed;
        for (uint256 i = 0; i < assets.length; ++i) {
            AssetState memory a = assets[i];
            packed = abi.encodePacked(
                packed,
                keccak256(
                    abi.encode(
                        keccak256(bytes(ASSET_STATE)),
                        a.asset,
                        a.balanceAlice,
                        a.balanceBob,
                        a.processedAlice,
                        a.processedBob,
                        a.defundNonce
                    )
                )
            );
        }
        return keccak256(packed);
    }

    function channelStateDigest(address channel, ChannelState memory s) internal view returns (bytes32) {
        bytes32 typehash = keccak256(
            abi.encodePacked(
                "ChannelState(uint256 nonce,uint256 timeout,bytes32 transfersRoot,AssetState[] assets)",
                ASSET_STATE
            )
        );
        return
            digest(channel, keccak256(abi.encode(typehash, s.nonce, s.timeout, s.transfersRoot, assetsHash(s.assets))));
    }

    function finalStateDigest(address channel, FinalState memory f) internal view returns (bytes32) {
        bytes32 typehash = keccak256(abi.encodePacked("FinalState(uint256 nonce,AssetState[] assets)", ASSET_STATE));
        return digest(channel, keccak256(abi.encode(typehash, f.nonce, assetsHash(f.assets))));
    }

    function withdrawDigest(address channel, WithdrawCommitment memory w) internal view returns (bytes32) {
        bytes32 typehash = keccak256(
            "WithdrawCommitment(address asset,address recipient,uint256 amount,uint256 nonce,"
            "address callTo,bytes callData)"
        );
        return
            digest(
                channel,
                keccak256(
                    abi.encode(typehash, w.asset, w.recipient, w.amount, w.nonce, w.callTo, keccak256(w.callData))
                )
            );
    }

    function exitDigest(
        address channel,
        address asset,
        address recipient,
        uint256 nonce
    ) internal view returns (bytes32) {
        bytes32 typehash = keccak256("ExitAuthorization(address asset,address recipient,uint256 nonce)");
        return digest(channel, keccak256(abi.encode(typehash, asset, recipient, nonce)));
    }

    function transferResolutionDigest(
        address channel,
        bytes32 transferId,
        bytes memory resolverData
    ) internal view returns (bytes32) {
        bytes32 typehash = keccak256("TransferResolution(bytes32 transferId,bytes resolverData)");
        return digest(channel, keccak256(abi.encode(typehash, transferId, keccak256(resolverData))));
    }
}
