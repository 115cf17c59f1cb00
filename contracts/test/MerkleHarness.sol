// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {TransferHashing} from "../libraries/TransferHashing.sol";
import {Transfer} from "../types/TransferTypes.sol";

/// @title MerkleHarness
/// @notice Test-only contract: checks the SDK's transfer ids, leaves and merkle proofs (`src/merkle.ts`,
///         `src/transfers.ts`) exactly as the channel does, with TransferHashing and OpenZeppelin
///         `MerkleProof.verifyCalldata`.
contract MerkleHarness {
    /// @notice TransferHashing.transferId.
    function transferId(Transfer calldata transfer) external pure returns (bytes32) {
        return TransferHashing.transferId(transfer);
    }

    /// @notice TransferHashing.leaf.
    function leaf(bytes32 id) external pure returns (bytes32) {
        return TransferHashing.leaf(id);
    }

    /// @notice Whether `transfer` is in the tree of `root`, as the adjudicator checks it.
    function verifyTransfer(
        bytes32[] calldata proof,
        bytes32 root,
        Transfer calldata transfer
    ) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, TransferHashing.leaf(TransferHashing.transferId(transfer)));
    }

    /// @notice How many of the transfers `ids[i]` verify with `proofs[i]` against `root` (batch form).
    function countValid(
        bytes32[][] calldata proofs,
        bytes32 root,
        bytes32[] calldata ids
    ) external pure returns (uint256 valid) {
        for (uint256 i = 0; i < ids.length; ++i) {
            if (MerkleProof.verifyCalldata(proofs[i], root, TransferHashing.leaf(ids[i]))) ++valid;
        }
    }
}
