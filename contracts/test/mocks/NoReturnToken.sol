// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

/// @title NoReturnToken
/// @notice Test-only: simulates USDT-style tokens whose `transfer`, `transferFrom` and `approve` return nothing
///         (no boolean), so a caller that decodes a `bool` through the IERC20 interface reverts. Failures revert.
/// @dev Deliberately does not implement IERC20 (its signatures differ). Callers must use SafeERC20.
contract NoReturnToken {
    uint256 public totalSupply;
    mapping(address account => uint256) public balanceOf;
    mapping(address owner => mapping(address spender => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);

    /// @notice The token's name.
    /// @return The name.
    function name() external pure returns (string memory) {
        return "No Return Token";
    }

    /// @notice The token's symbol.
    /// @return The symbol.
    function symbol() external pure returns (string memory) {
        return "NRT";
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

    /// @notice Moves `amount` from the caller to `to`; returns nothing.
    /// @param to The recipient.
    /// @param amount The amount.
    function transfer(address to, uint256 amount) external {
        _move(msg.sender, to, amount);
    }

    /// @notice Moves `amount` from `from` to `to` with the caller's allowance; returns nothing.
    /// @param from The owner.
    /// @param to The recipient.
    /// @param amount The amount.
    function transferFrom(address from, address to, uint256 amount) external {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(from, msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _move(from, to, amount);
    }

    /// @notice Sets the caller's allowance for `spender`; returns nothing.
    /// @param spender The spender.
    /// @param amount The allowance.
    function approve(address spender, uint256 amount) external {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
    }

    function _move(address from, address to, uint256 amount) private {
        uint256 balance = balanceOf[from];
        if (balance < amount) revert InsufficientBalance(from, balance, amount);
        balanceOf[from] = balance - amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
    }
}
