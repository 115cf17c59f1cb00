// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {Transfer} from "../types/TransferTypes.sol";

/// @title TransferHashing
/// @notice Ids and merkle leaves of conditional transfers.
/// @dev transferId = keccak256(abi.encode(transfer)); leaf = keccak256(abi.encode(transferId)). A leaf's
///      preimage is 32 bytes and an inner node's (OpenZeppelin MerkleProof, sorted pairs) is 64 bytes, so no inner
///      node can be presented as a leaf. The SDK's `src/merkle.ts` builds the same leaves.
library TransferHashing {
    /// @notice The id of a transfer.
    function transferId(Transfer calldata transfer) internal pure returns (bytes32) {
        return keccak256(abi.encode(transfer));
    }

    /// @notice The merkle leaf of the transfer with id `id`.
    function leaf(bytes32 id) internal pure returns (bytes32 result) {
        // keccak256 of the 32-byte id written to scratch space (0x00-0x1f); no other memory is touched.
        assembly ("memory-safe") {
            mstore(0x00, id)
            result := keccak256(0x00, 0x20)
        }
    }
}
