// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title MockERC1271Wallet
/// @notice Test-only: simulates a smart-contract account (a one-owner Safe or smart wallet). A signature is
///         valid under ERC-1271 iff it is the owner's ECDSA signature (low-s, 65 bytes) of the very hash asked
///         about. The owner can make the wallet call anything, and the wallet accepts ETH.
contract MockERC1271Wallet is IERC1271 {
    /// @dev The EOA whose signatures the wallet accepts.
    address private immutable _OWNER;

    /// @notice The caller of `execute` is not the owner.
    error NotOwner(address caller);

    /// @notice A call made by `execute` reverted; its revert data is attached.
    error CallFailed(bytes returnData);

    constructor(address owner_) {
        _OWNER = owner_;
    }

    /// @notice Accepts ETH.
    receive() external payable {
        return;
    }

    /// @notice The EOA whose signatures the wallet accepts and who may call `execute`.
    /// @return The owner.
    function owner() external view returns (address) {
        return _OWNER;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == _OWNER) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    /// @notice Makes the wallet call `target` with `value` and `data` (owner only).
    /// @param target The contract called.
    /// @param value The ETH sent.
    /// @param data The calldata.
    /// @return returnData The call's return data.
    function execute(
        address target,
        uint256 value,
        bytes calldata data
    ) external payable returns (bytes memory returnData) {
        if (msg.sender != _OWNER) revert NotOwner(msg.sender);
        bool success;
        // An arbitrary call is the purpose of a wallet; only its owner can make it, and failures revert.
        (success, returnData) = target.call{value: value}(data);
        if (!success) revert CallFailed(returnData);
    }
}
