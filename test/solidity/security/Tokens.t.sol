// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {BlacklistToken} from "../../../contracts/test/mocks/BlacklistToken.sol";
import {FalseReturnToken} from "../../../contracts/test/mocks/FalseReturnToken.sol";
import {FeeOnTransferToken} from "../../../contracts/test/mocks/FeeOnTransferToken.sol";
import {GasBurningToken} from "../../../contracts/test/mocks/GasBurningToken.sol";
import {MockWithdrawHelper} from "../../../contracts/test/mocks/MockWithdrawHelper.sol";
import {NoReturnToken} from "../../../contracts/test/mocks/NoReturnToken.sol";
import {RebasingToken} from "../../../contracts/test/mocks/RebasingToken.sol";
import {AssetState, ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @dev The calls every mock token accepts, declared without return values so that tokens returning nothing
///      (NoReturnToken) and tokens returning a bool can both be driven through it.
interface ILooseToken {
    function mint(address to, uint256 amount) external;
    function approve(address spender, uint256 amount) external;
    function transfer(address to, uint256 amount) external;
}

/// @title FreezableToken
/// @notice A token that can be frozen (a paused or mid-upgrade proxy token): while frozen every transfer and every
///         balanceOf call reverts. With only its transfers frozen, balanceOf still answers (a paused transfer).
contract FreezableToken is ERC20 {
    bool public frozen;
    bool public transfersFrozen;

    error Frozen();

    constructor() ERC20("Freezable Token", "FRZ") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFrozen(bool frozen_) external {
        frozen = frozen_;
    }

    function setTransfersFrozen(bool frozen_) external {
        transfersFrozen = frozen_;
    }

    function balanceOf(address account) public view override returns (uint256) {
        if (frozen) revert Frozen();
        return super.balanceOf(account);
    }

    function _update(address from, address to, uint256 value) internal override {
        if (frozen || transfersFrozen) revert Frozen();
        super._update(from, to, value);
    }
}

/// @title Adversarial tokens
/// @notice Tokens that return nothing, return false, take a fee, revert for one address, rebase up or down, or
///         burn gas, through deposit, withdraw, close and defund: the other party (and every other asset) is paid
///         exactly, nothing is credited that did not arrive, and a failed payout is kept as its owner's exit.
contract SecurityTokensTest is SecurityBase {
    uint256 internal constant A = 100e18; // alice's tracked deposit
    uint256 internal constant B = 50e18; // bob's plain deposit

    MockWithdrawHelper internal helper;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        helper = new MockWithdrawHelper();
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────

    /// @dev Mints to both parties; alice deposits `a` through the channel and bob transfers `b` to it.
    function _fund(address t, uint256 a, uint256 b) internal {
        ILooseToken(t).mint(alice, 1_000e18);
        ILooseToken(t).mint(bob, 1_000e18);
        vm.prank(alice);
        ILooseToken(t).approve(address(channel), type(uint256).max);
        if (a != 0) {
            vm.prank(alice);
            channel.depositAlice(t, a);
        }
        if (b != 0) {
            vm.prank(bob);
            ILooseToken(t).transfer(address(channel), b);
        }
    }

    /// @dev A final state listing ETH (alice 6, bob 9) and token `t` with the given figures.
    function _finalWithEth(
        uint256 nonce,
        address t,
        uint256 balA,
        uint256 balB,
        uint256 procA,
        uint256 procB
    ) internal pure returns (FinalState memory f) {
        f.nonce = nonce;
        f.assets = new AssetState[](2);
        f.assets[0] = AssetState(ETH, 6 ether, 9 ether, 10 ether, 5 ether, 1);
        f.assets[1] = AssetState(t, balA, balB, procA, procB, 1);
    }

    function _stateWithEth(
        uint256 nonce,
        address t,
        uint256 balA,
        uint256 balB,
        uint256 procA,
        uint256 procB
    ) internal pure returns (ChannelState memory s) {
        FinalState memory f = _finalWithEth(nonce, t, balA, balB, procA, procB);
        s.nonce = nonce;
        s.timeout = TIMEOUT;
        s.assets = f.assets;
    }

    function _defundBoth(ChannelState memory s, address t) internal {
        _disputeToDefund(s);
        channel.defundChannel(s, _pair(ETH, t));
    }

    function _assertEthPaid(uint256 aliceBefore, uint256 bobBefore) internal view {
        assertEq(alice.balance - aliceBefore, 6 ether, "alice's ETH");
        assertEq(bob.balance - bobBefore, 9 ether, "bob's ETH");
        assertEq(address(channel).balance, 0, "ETH left behind");
    }

    // ─── returns nothing (USDT style) ────────────────────────────────────────────────────────────────────

    function test_tokens_noReturn_depositCreditsExactly() public {
        NoReturnToken t = new NoReturnToken();
        _fund(address(t), A, B);
        assertEq(channel.totalDepositsAlice(address(t)), A, "alice credited");
        assertEq(channel.totalDepositsBob(address(t)), B, "bob counted");
        assertEq(t.balanceOf(address(channel)), A + B, "held");
    }

    function test_tokens_noReturn_pullWithoutAllowanceFails() public {
        NoReturnToken t = new NoReturnToken();
        _fund(address(t), A, B);
        t.mint(eve, 10e18);
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(
            abi.encodeWithSelector(NoReturnToken.InsufficientAllowance.selector, eve, address(channel), 0, 10e18)
        );
        vm.prank(eve);
        channel.depositAlice(address(t), 10e18);
        _assertUnchanged(snap);
    }

    function test_tokens_noReturn_withdrawPaysExactly() public {
        NoReturnToken t = new NoReturnToken();
        _fund(address(t), A, B);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(t.balanceOf(bob), 970e18, "bob paid");
        assertEq(t.balanceOf(address(channel)), A + B - 20e18, "held");
        assertEq(channel.exitOf(address(t), bob), 0, "a silent success is a success");
        _assertLedgerOf(address(t));
    }

    function test_tokens_noReturn_closePaysBothExactly() public {
        NoReturnToken t = new NoReturnToken();
        _fund(address(t), A, B);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        assertEq(t.balanceOf(alice), 970e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 1_030e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
        _assertEthPaid(ea, eb);
    }

    function test_tokens_noReturn_defundPaysBothExactly() public {
        NoReturnToken t = new NoReturnToken();
        _fund(address(t), A, B);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _defundBoth(_stateWithEth(1, address(t), 70e18, 80e18, A, B), address(t));
        assertEq(t.balanceOf(alice), 970e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 1_030e18, "bob's tokens");
        _assertEthPaid(ea, eb);
    }

    // ─── returns false ───────────────────────────────────────────────────────────────────────────────────

    function test_tokens_falseReturn_depositFailsAndCreditsNothing() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(SafeERC20.SafeERC20FailedOperation.selector, address(t)));
        vm.prank(alice);
        channel.depositAlice(address(t), 10e18);
        _assertUnchanged(snap);
    }

    function test_tokens_falseReturn_closeKeepsExitsAndPaysOtherAssets() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        _assertEthPaid(ea, eb);
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
        assertEq(channel.totalPaidOut(address(t)), 0, "nothing counted as paid");
        // Once the token works again each side takes exactly its claim.
        t.setFailTransfers(false);
        vm.prank(alice);
        channel.withdrawExit(address(t), alice, alice, "");
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        assertEq(t.balanceOf(alice), 970e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 1_030e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
    }

    function test_tokens_falseReturn_defundKeepsExitsAndPaysOtherAssets() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _defundBoth(_stateWithEth(1, address(t), 70e18, 80e18, A, B), address(t));
        _assertEthPaid(ea, eb);
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
        _assertLedgerOf(address(t));
    }

    function test_tokens_falseReturn_withdrawPushKeepsExit() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's exit");
        assertEq(t.balanceOf(address(channel)), A + B, "held");
        assertTrue(channel.isWithdrawExecuted(1), "commitment spent");
        _assertLedgerOf(address(t));
    }

    function test_tokens_falseReturn_withdrawWithHelperFails() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        WithdrawCommitment memory w = WithdrawCommitment(address(t), bob, 20e18, 1, address(helper), "");
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.TransferFailed.selector, address(t), bob, 20e18));
        channel.withdraw(w, sa, sb);
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(1), "commitment spent");
    }

    function test_tokens_falseReturn_exitWithdrawalFailsAndKeepsClaim() public {
        FalseReturnToken t = new FalseReturnToken();
        _fund(address(t), A, B);
        t.setFailTransfers(true);
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.TransferFailed.selector, address(t), bob, 80e18));
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        _assertUnchanged(snap);
    }

    // ─── fee on transfer (1 %) ───────────────────────────────────────────────────────────────────────────

    function test_tokens_fee_depositsCountWhatArrived() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        _fund(address(t), A, B);
        assertEq(channel.totalDepositsAlice(address(t)), 99e18, "alice credited what arrived");
        assertEq(channel.totalDepositsBob(address(t)), 49.5e18, "bob counted what arrived");
        assertEq(t.balanceOf(address(channel)), 148.5e18, "held");
        _assertLedgerOf(address(t));
    }

    function test_tokens_fee_closePaysExactly() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        _fund(address(t), A, B);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _close(_finalWithEth(1, address(t), 90e18, 58.5e18, 99e18, 49.5e18));
        // The channel sends the state's amounts; each recipient receives them less the token's fee.
        assertEq(t.balanceOf(alice), 900e18 + 89.1e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 950e18 + 57.915e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
        assertEq(channel.totalPaidOut(address(t)), 148.5e18, "paid out");
        _assertEthPaid(ea, eb);
        _assertLedgerOf(address(t));
    }

    function test_tokens_fee_defundPaysExactly() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        _fund(address(t), A, B);
        _defundBoth(_stateWithEth(1, address(t), 90e18, 58.5e18, 99e18, 49.5e18), address(t));
        assertEq(t.balanceOf(alice), 900e18 + 89.1e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 950e18 + 57.915e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
        _assertLedgerOf(address(t));
    }

    function test_tokens_fee_withdrawPaysExactly() public {
        FeeOnTransferToken t = new FeeOnTransferToken();
        _fund(address(t), A, B);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(t.balanceOf(bob), 950e18 + 19.8e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 128.5e18, "held");
        assertEq(channel.totalDepositsBob(address(t)), 49.5e18, "a withdrawal changes no deposit");
        _assertLedgerOf(address(t));
    }

    // ─── reverts for one address (blacklist) ─────────────────────────────────────────────────────────────

    function test_tokens_blacklist_depositFromBlacklistedFails() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(alice, true);
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(BlacklistToken.Blacklisted.selector, alice));
        vm.prank(alice);
        channel.depositAlice(address(t), 10e18);
        _assertUnchanged(snap);
    }

    function test_tokens_blacklist_closePaysTheOtherSide() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(bob, true);
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        assertEq(t.balanceOf(alice), 970e18, "alice paid in full");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
        // Bob moves his claim to an address the token accepts.
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, eve, "");
        assertEq(t.balanceOf(eve), 80e18, "bob's claim paid elsewhere");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
        _assertLedgerOf(address(t));
    }

    function test_tokens_blacklist_defundPaysTheOtherSide() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(alice, true);
        _defundBoth(_stateWithEth(1, address(t), 70e18, 80e18, A, B), address(t));
        assertEq(t.balanceOf(bob), 1_030e18, "bob paid in full");
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        _assertLedgerOf(address(t));
    }

    function test_tokens_blacklist_withdrawToBlacklistedKeepsExit() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(bob, true);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's exit");
        assertEq(t.balanceOf(address(channel)), A + B, "held");
        _assertLedgerOf(address(t));
    }

    function test_tokens_blacklist_exitToBlacklistedRecipientFails() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(bob, true);
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.TransferFailed.selector, address(t), bob, 80e18));
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        _assertUnchanged(snap);
    }

    function test_tokens_blacklist_blacklistedChannelLocksOnlyThatToken() public {
        BlacklistToken t = new BlacklistToken();
        _fund(address(t), A, B);
        t.setBlacklisted(address(channel), true);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        _assertEthPaid(ea, eb);
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
    }

    // ─── rebasing ────────────────────────────────────────────────────────────────────────────────────────

    function test_tokens_rebaseUp_goesToBobAndPaysExactly() public {
        RebasingToken t = new RebasingToken();
        _fund(address(t), A, B);
        t.rebase(2, 1);
        assertEq(channel.totalDepositsAlice(address(t)), A, "alice's tracked total is fixed");
        assertEq(channel.totalDepositsBob(address(t)), 200e18, "unexplained growth counts as bob's");
        _close(_finalWithEth(1, address(t), A, B, A, B));
        assertEq(t.balanceOf(alice), 1_900e18, "alice paid her balance");
        assertEq(t.balanceOf(bob), 2_100e18, "bob paid his balance and the rebase");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
        _assertLedgerOf(address(t));
    }

    function test_tokens_rebaseDown_reducesBobFirstAndKeepsWhatIsHeld() public {
        RebasingToken t = new RebasingToken();
        _fund(address(t), A, B);
        t.rebase(4, 5); // 150 -> 120 held
        assertEq(channel.totalDepositsBob(address(t)), 20e18, "the loss comes off bob's figure");
        uint256 aliceBefore = t.balanceOf(alice);
        uint256 bobBefore = t.balanceOf(bob);
        _close(_finalWithEth(1, address(t), A, B, A, B));
        // Alice is pushed her 100; bob's 50 cannot be covered: only the 20 still held is kept as his claim.
        assertEq(t.balanceOf(alice) - aliceBefore, A, "alice paid in full");
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's claim is what is held");
        assertEq(channel.exitsOutstanding(address(t)), 20e18, "outstanding claims backed");
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        assertEq(t.balanceOf(bob) - bobBefore, 20e18, "bob takes what is left");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
    }

    function test_tokens_rebaseDown_defundKeepsOnlyBackedClaims() public {
        RebasingToken t = new RebasingToken();
        _fund(address(t), A, B);
        t.rebase(1, 2); // 150 -> 75 held, less than alice's own 100
        uint256 bobBefore = t.balanceOf(bob);
        _defundBoth(_stateWithEth(1, address(t), A, B, A, B), address(t));
        // Alice's push (100) fails and 75 is kept for her: those 75 are reserved for her claim, so bob's push must
        // not be paid out of them (the loss comes off bob's figure first, which is zero here).
        assertEq(channel.exitOf(address(t), alice), 75e18, "alice's claim is what is held");
        assertLe(channel.exitsOutstanding(address(t)), t.balanceOf(address(channel)), "claims exceed holdings");
        assertEq(t.balanceOf(bob), bobBefore, "bob was paid out of alice's reserved claim");
        assertEq(channel.exitOf(address(t), bob), 0, "no unbacked claim");
        vm.prank(alice);
        channel.withdrawExit(address(t), alice, alice, "");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
    }

    function test_tokens_rebase_depositCreditsWhatArrived() public {
        RebasingToken t = new RebasingToken();
        _fund(address(t), 0, 0);
        t.rebase(4, 5);
        vm.prank(alice);
        channel.depositAlice(address(t), A);
        assertEq(channel.totalDepositsAlice(address(t)), A, "alice credited");
        assertEq(t.balanceOf(address(channel)), A, "held");
    }

    // ─── burns gas ───────────────────────────────────────────────────────────────────────────────────────

    function test_tokens_gasBurning_depositFails() public {
        GasBurningToken t = new GasBurningToken();
        _fund(address(t), A, B);
        t.setBurnGas(true);
        Snap memory snap = _snapWith(address(t));
        vm.prank(alice);
        // The token consumes its whole allowance; SafeERC20 bubbles its empty revert and nothing is credited.
        (bool ok, bytes memory ret) = address(channel).call{gas: 1_000_000}(
            abi.encodeCall(channel.depositAlice, (address(t), 10e18))
        );
        assertTrue(!ok, "deposit succeeded");
        assertEq(ret.length, 0, "unexpected revert data");
        _assertUnchanged(snap);
    }

    function test_tokens_gasBurning_closeKeepsExitsAndPaysOtherAssets() public {
        GasBurningToken t = new GasBurningToken();
        _fund(address(t), A, B);
        t.setBurnGas(true);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        _assertEthPaid(ea, eb);
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
        t.setBurnGas(false);
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        assertEq(t.balanceOf(bob), 1_030e18, "bob's tokens");
    }

    function test_tokens_gasBurning_defundKeepsExitsAndPaysOtherAssets() public {
        GasBurningToken t = new GasBurningToken();
        _fund(address(t), A, B);
        t.setBurnGas(true);
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _defundBoth(_stateWithEth(1, address(t), 70e18, 80e18, A, B), address(t));
        _assertEthPaid(ea, eb);
        assertEq(channel.exitOf(address(t), alice), 70e18, "alice's exit");
        assertEq(channel.exitOf(address(t), bob), 80e18, "bob's exit");
        _assertLedgerOf(address(t));
    }

    function test_tokens_gasBurning_withdrawPushKeepsExit() public {
        GasBurningToken t = new GasBurningToken();
        _fund(address(t), A, B);
        t.setBurnGas(true);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's exit");
        assertEq(t.balanceOf(address(channel)), A + B, "held");
    }

    function test_tokens_gasBurning_exitWithdrawalFailsAndKeepsClaim() public {
        GasBurningToken t = new GasBurningToken();
        _fund(address(t), A, B);
        t.setBurnGas(true);
        _close(_finalWithEth(1, address(t), 70e18, 80e18, A, B));
        Snap memory snap = _snapWith(address(t));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.TransferFailed.selector, address(t), bob, 80e18));
        vm.prank(bob);
        channel.withdrawExit{gas: 3_000_000}(address(t), bob, bob, "");
        _assertUnchanged(snap);
    }

    // ─── temporarily unreadable (paused / frozen) ────────────────────────────────────────────────────────

    function test_tokens_frozen_closeListingItFailsAndMovesNothing() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        t.setFrozen(true);
        FinalState memory f = _finalWithEth(1, address(t), 70e18, 80e18, A, B);
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        Snap memory snap = _snapOf(channel, _only(ETH)); // the frozen token cannot be read
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, address(t)));
        channel.closeChannel(f, sa, sb);
        _assertUnchanged(snap);
        t.setFrozen(false);
        assertEq(t.balanceOf(address(channel)), A + B, "tokens held");
    }

    function test_tokens_frozen_blocksOnlyItsOwnDefund() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        ChannelState memory s = _stateWithEth(1, address(t), 70e18, 80e18, A, B);
        _disputeToDefund(s);
        t.setFrozen(true);
        Snap memory snap = _snapOf(channel, _only(ETH));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, address(t)));
        channel.defundChannel(s, _only(address(t)));
        _assertUnchanged(snap);
        // ETH is defunded on its own, exactly.
        uint256 ea = alice.balance;
        uint256 eb = bob.balance;
        _defund(s, ETH);
        _assertEthPaid(ea, eb);
        // Once the token answers again it is defunded exactly, in the same defund phase.
        t.setFrozen(false);
        _defund(s, address(t));
        assertEq(t.balanceOf(alice), 970e18, "alice's tokens");
        assertEq(t.balanceOf(bob), 1_030e18, "bob's tokens");
        assertEq(t.balanceOf(address(channel)), 0, "tokens left behind");
    }

    // ─── a frozen token never writes a payout off ────────────────────────────────────────────────────────

    function _expectFrozen(address t) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, t));
    }

    function test_tokens_frozen_depositFailsAndCreditsNothing() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        t.setFrozen(true);
        Snap memory snap = _snapOf(channel, _only(ETH));
        _expectFrozen(address(t));
        vm.prank(alice);
        channel.depositAlice(address(t), 1e18);
        _assertUnchanged(snap);
        t.setFrozen(false);
        assertEq(channel.totalDepositsAlice(address(t)), A, "nothing credited");
        assertEq(t.balanceOf(address(channel)), A + B, "nothing moved");
    }

    function test_tokens_frozen_withdrawFailsAndStaysExecutable() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        t.setFrozen(true);
        WithdrawCommitment memory w = _withdrawCommitment(address(t), bob, 20e18, 1);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        Snap memory snap = _snapOf(channel, _only(ETH));
        _expectFrozen(address(t));
        vm.prank(eve); // a relayer cannot turn the frozen push into a write-off
        channel.withdraw(w, sa, sb);
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(1), "commitment spent");
        // Once the token answers again the same commitment pays in full.
        t.setFrozen(false);
        assertEq(channel.totalPaidOut(address(t)), 0, "nothing written off");
        channel.withdraw(w, sa, sb);
        assertEq(t.balanceOf(bob), 1_000e18 - B + 20e18, "bob paid in full");
        assertEq(channel.totalPaidOut(address(t)), 20e18, "paid out");
        assertEq(channel.exitOf(address(t), bob), 0, "no claim");
        _assertLedgerOf(address(t));
    }

    function test_tokens_frozen_withdrawWhileClaimsAreKeptFailsAndExitWithdrawalKeepsTheClaim() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        // A paused transfer (balanceOf answers) keeps bob's withdrawal as his claim, backed by what is held.
        t.setTransfersFrozen(true);
        _withdraw(_withdrawCommitment(address(t), bob, 20e18, 1));
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's claim kept");
        // Frozen altogether: neither a withdrawal (which must leave the claim's backing alone) nor the claim's
        // own withdrawal may read the unknown balance as zero.
        t.setFrozen(true);
        WithdrawCommitment memory w = _withdrawCommitment(address(t), alice, 10e18, 2);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        Snap memory snap = _snapOf(channel, _only(ETH));
        _expectFrozen(address(t));
        channel.withdraw(w, sa, sb);
        _expectFrozen(address(t));
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(2), "commitment spent");
        t.setFrozen(false);
        t.setTransfersFrozen(false);
        assertEq(channel.exitOf(address(t), bob), 20e18, "bob's claim intact");
        assertEq(channel.exitsOutstanding(address(t)), 20e18, "claims intact");
        channel.withdraw(w, sa, sb);
        assertEq(t.balanceOf(alice), 1_000e18 - A + 10e18, "alice paid in full");
        vm.prank(bob);
        channel.withdrawExit(address(t), bob, bob, "");
        assertEq(t.balanceOf(bob), 1_000e18 - B + 20e18, "bob's claim paid in full");
        assertEq(channel.exitsOutstanding(address(t)), 0, "no claim left");
        _assertLedgerOf(address(t));
    }

    function test_tokens_frozen_defundTransferFailsAndStaysSettleable() public {
        FreezableToken t = new FreezableToken();
        _fund(address(t), A, B);
        Transfer memory tr = _transfer(
            address(hashlock),
            address(t),
            30e18,
            alice,
            bob,
            TIMEOUT,
            keccak256("frozen transfer"),
            abi.encode(_lockHash(keccak256("preimage")), START + 30 days)
        );
        ChannelState memory s = _stateWithEth(1, address(t), 40e18, 80e18, A, B);
        s.transfersRoot = _leaf(tr);
        _disputeToDefund(s);
        channel.disputeTransfer(s, tr, _noProof());
        vm.warp(channel.transferRecord(_id(tr)).settleDeadline);
        t.setFrozen(true);
        Snap memory snap = _snapOf(channel, _only(ETH));
        _expectFrozen(address(t));
        vm.prank(eve);
        channel.defundTransfer(tr, "", "");
        _assertUnchanged(snap);
        assertTrue(!channel.transferRecord(_id(tr)).settled, "transfer marked settled");
        // Once the token answers again the refund pays the initiator in full.
        t.setFrozen(false);
        assertEq(channel.totalPaidOut(address(t)), 0, "nothing written off");
        channel.defundTransfer(tr, "", "");
        assertEq(t.balanceOf(alice), 1_000e18 - A + 30e18, "alice refunded in full");
        assertEq(channel.totalPaidOut(address(t)), 30e18, "paid out");
        _assertLedgerOf(address(t));
    }
}
