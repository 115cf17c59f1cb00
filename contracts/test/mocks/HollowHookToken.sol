// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {HookToken} from "./HookToken.sol";

/// @title HollowHookToken
/// @notice Test-only: a HookToken whose `transferFrom`, when called by one chosen spender, moves nothing yet reports
///         success and still calls the hook (a broken or malicious token whose pull is hollow while its hook runs).
///         Every other transfer, including pulls by any other spender, moves balances as a normal ERC20 does.
contract HollowHookToken is HookToken {
    /// @notice The spender whose pulls are hollow, or address(0) for none.
    address public hollowSpender;

    /// @notice Sets the spender whose pulls move nothing; anyone may call it (test token).
    /// @param spender The spender (e.g. the factory), or address(0) to make every pull real.
    function setHollowSpender(address spender) external {
        hollowSpender = spender;
    }

    /// @dev For `hollowSpender`: no allowance spent, no balance moved, the hook called, true returned.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (msg.sender != hollowSpender) return super.transferFrom(from, to, value);
        if (address(hook) != address(0)) hook.onTokenTransfer(from, to, value);
        return true;
    }
}
