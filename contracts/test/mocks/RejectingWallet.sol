// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title RejectingWallet
/// @notice Test-only ERC-1271 account that refuses ETH (its receive reverts) but can act through `execute`: a
///         channel party whose payouts cannot be pushed and must be kept as exits it withdraws elsewhere.
contract RejectingWallet is IERC1271 {
    address private immutable OWNER;

    /// @notice The wallet refuses ETH.
    error RejectsEth();
    /// @notice Only the owner may use `execute`.
    error NotOwner(address caller);
    /// @notice The forwarded call reverted.
    error CallFailed(bytes returnData);

    constructor(address owner_) {
        OWNER = owner_;
    }

    receive() external payable {
        revert RejectsEth();
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Calls `target` with `data` on the owner's behalf.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        // Test wallet: forwards the owner's call as is and bubbles a failure up.
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) revert CallFailed(ret);
        return ret;
    }
}
