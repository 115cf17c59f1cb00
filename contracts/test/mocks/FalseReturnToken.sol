// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title FalseReturnToken
/// @notice Test-only: simulates old tokens (ZRX, BAT style) that return `false` instead of reverting when a
///         transfer fails: on insufficient balance or allowance, or on every transfer while `failTransfers` is
///         set. A failed call changes no state, so a caller that ignores the return value is fooled.
contract FalseReturnToken {
    uint256 public totalSupply;
    /// @notice When set, every `transfer` and `transferFrom` returns false and moves nothing.
    bool public failTransfers;
    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice The token's name.
    /// @return The name.
    function name() external pure returns (string memory) {
        return "False Return Token";
    }

    /// @notice The token's symbol.
    /// @return The symbol.
    function symbol() external pure returns (string memory) {
        return "FRT";
    }

    /// @notice The token's decimals.
    /// @return Always 18.
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @notice Mints `amount` to `to`; anyone may call it (test token).
    /// @param to The recipient.
    /// @param amount The amount minted.
    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Makes every later transfer fail (return false) or succeed normally.
    /// @param fail True to fail transfers.
    function setFailTransfers(bool fail) external {
        failTransfers = fail;
    }

    /// @notice Moves `amount` from the caller to `to`, or returns false and moves nothing.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return success Whether anything moved.
    function transfer(address to, uint256 amount) external returns (bool success) {
        success = _move(msg.sender, to, amount);
    }

    /// @notice Moves `amount` from `from` to `to` with the caller's allowance, or returns false.
    /// @param from The owner.
    /// @param to The recipient.
    /// @param amount The amount.
    /// @return success Whether anything moved.
    function transferFrom(address from, address to, uint256 amount) external returns (bool success) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed < amount) return false;
        if (!_move(from, to, amount)) return false;
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        success = true;
    }

    /// @notice Sets the caller's allowance for `spender`.
    /// @param spender The spender.
    /// @param amount The allowance.
    /// @return Always true.
    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function _move(address from, address to, uint256 amount) private returns (bool) {
        uint256 balance = balanceOf[from];
        if (failTransfers || balance < amount) return false;
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return true;
    }
}
