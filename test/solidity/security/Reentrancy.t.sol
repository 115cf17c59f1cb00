// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAdjudicator} from "../../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../../contracts/interfaces/IChannelFactory.sol";
import {IDepositUnit} from "../../../contracts/interfaces/IDepositUnit.sol";
import {IWithdrawHelper} from "../../../contracts/interfaces/IWithdrawHelper.sol";
import {IWithdrawUnit} from "../../../contracts/interfaces/IWithdrawUnit.sol";
import {HollowHookToken} from "../../../contracts/test/mocks/HollowHookToken.sol";
import {HookToken} from "../../../contracts/test/mocks/HookToken.sol";
import {IHookReceiver} from "../../../contracts/test/mocks/IHookReceiver.sol";
import {MockERC20} from "../../../contracts/test/mocks/MockERC20.sol";
import {MockWithdrawHelper} from "../../../contracts/test/mocks/MockWithdrawHelper.sol";
import {ReentrantReceiver} from "../../../contracts/test/mocks/ReentrantReceiver.sol";
import {ReentrantWithdrawHelper} from "../../../contracts/test/mocks/ReentrantWithdrawHelper.sol";
import {RevertingReceiver} from "../../../contracts/test/mocks/RevertingReceiver.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {Transfer} from "../../../contracts/types/TransferTypes.sol";
import {SigningWallet} from "../utils/DisputeFixture.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title HookDepositor
/// @notice A token hook (ERC777 `tokensToSend` / `tokensReceived` style) that, on the first transfer after being
///         armed, deposits its own tokens for alice into a channel, and records the outcome.
contract HookDepositor is IHookReceiver {
    IChannel public target;
    HookToken public hookToken;
    uint256 public amount;
    bool public armed;
    uint256 public attempts;
    bool public lastSuccess;
    bytes public lastReturnData;

    function arm(IChannel target_, HookToken hookToken_, uint256 amount_) external {
        target = target_;
        hookToken = hookToken_;
        amount = amount_;
        armed = true;
        hookToken_.approve(address(target_), type(uint256).max);
    }

    function onTokenTransfer(address, address, uint256) external override {
        if (!armed) return;
        armed = false;
        ++attempts;
        // The attack itself: a re-entering deposit whose outcome is recorded, not trusted.
        (bool ok, bytes memory ret) = address(target).call(
            abi.encodeCall(IDepositUnit.depositAlice, (address(hookToken), amount))
        );
        lastSuccess = ok;
        lastReturnData = ret;
    }
}

/// @title EthDepositingHelper
/// @notice A withdraw helper that, while the channel paying it holds its lock, makes a tracked ETH deposit for
///         alice into that channel (the proxy's own deposit path declines under the lock and delegates), and
///         records the outcome.
contract EthDepositingHelper is IWithdrawHelper {
    uint256 public attempts;
    bool public lastSuccess;
    bytes public lastReturnData;

    /// @inheritdoc IWithdrawHelper
    function execute(address, address, uint256, bytes calldata) external override {
        ++attempts;
        // The attack itself: a deposit of 1 ETH back into the caller, whose outcome is recorded, not trusted.
        (lastSuccess, lastReturnData) = msg.sender.call{value: 1 ether}(
            abi.encodeCall(IDepositUnit.depositAliceEth, ())
        );
    }
}

/// @title ViewReadingToken
/// @notice A token whose `balanceOf(holder)`, for the watched channel, first reads that channel's
///         `totalDepositsAlice` and so reverts (ChannelLocked) while the channel holds its re-entry lock: it shows
///         whether a channel holds the lock while it asks a token for its balance.
contract ViewReadingToken is MockERC20 {
    address public watched;

    constructor() MockERC20("View Reading Token", "VRT", 18) {}

    function watch(address channel_) external {
        watched = channel_;
    }

    function balanceOf(address holder) public view override returns (uint256) {
        if (holder == watched) IChannelCore(holder).totalDepositsAlice(address(this));
        return super.balanceOf(holder);
    }
}

/// @title ViewProbe
/// @notice A payee that, when paid ETH, reads every view of the channel paying it (read-only re-entrancy): it
///         counts the views that refuse with `ChannelLocked` and those that answer, in one pre-warmed slot so that
///         the probe fits the 50,000 gas of a pushed payout.
contract ViewProbe {
    IChannel public target;
    uint128 public refused;
    uint128 public answered;

    /// @dev Points the probe at `target`; the counters start at 1 so the callback's store is a warm update.
    function arm(IChannel target_) external {
        target = target_;
        refused = 1;
        answered = 1;
    }

    receive() external payable {
        _probe();
    }

    function _probe() private {
        IChannel ch = target;
        if (address(ch) == address(0)) return;
        address self = address(this);
        uint128 r = refused;
        uint128 a = answered;
        bytes[11] memory ledgerViews = [
            abi.encodeCall(IChannelCore.totalDepositsAlice, (address(0))),
            abi.encodeCall(IChannelCore.totalDepositsBob, (address(0))),
            abi.encodeCall(IChannelCore.totalPaidOut, (address(0))),
            abi.encodeCall(IChannelCore.defundNonce, (address(0))),
            abi.encodeCall(IChannelCore.exitOf, (address(0), self)),
            abi.encodeCall(IChannelCore.exitsOutstanding, (address(0))),
            abi.encodeCall(IChannelCore.exitNonce, (self)),
            abi.encodeCall(IWithdrawUnit.isWithdrawExecuted, (0)),
            abi.encodeCall(IAdjudicator.disputeRecord, ()),
            abi.encodeCall(IAdjudicator.disputedStateHash, ()),
            abi.encodeCall(IAdjudicator.transferRecord, (bytes32(0)))
        ];
        for (uint256 i = 0; i < ledgerViews.length; ++i) {
            (bool ok, bytes memory ret) = address(ch).staticcall(ledgerViews[i]);
            if (!ok && ret.length == 4 && bytes4(ret) == IChannelCore.ChannelLocked.selector) ++r;
            else if (ok) ++a;
        }
        // The parties are immutable and stay readable.
        (bool okAlice, ) = address(ch).staticcall(abi.encodeCall(IChannelCore.alice, ()));
        if (okAlice) ++a;
        refused = r;
        answered = a;
    }
}

/// @title Re-entrancy attacks
/// @notice ETH receivers, token hooks and withdraw helpers re-enter every fund-moving entry point; the channel's
///         transient lock refuses each attempt with ReentrancyGuardReentrantCall and the outer call pays exactly.
contract SecurityReentrancyTest is SecurityBase {
    uint256 internal constant WALLET_KEY = 0x5AFE;

    ReentrantReceiver internal receiver;
    MockWithdrawHelper internal helper;
    HookToken internal hk;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        _depositAliceToken(1_000e18);
        receiver = new ReentrantReceiver();
        helper = new MockWithdrawHelper();
        hk = new HookToken();
        hk.mint(alice, 1_000e18);
        hk.mint(bob, 1_000e18);
        vm.prank(alice);
        hk.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        hk.approve(address(factory), type(uint256).max);
    }

    function _guardError() internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
    }

    function _assertRefused(ReentrantReceiver r) internal view {
        assertEq(r.attempts(), 1, "no re-entry attempted");
        assertTrue(!r.lastSuccess(), "re-entry succeeded");
        assertEq(keccak256(r.lastReturnData()), keccak256(_guardError()), "wrong re-entry error");
    }

    function _assertHelperRefused(ReentrantWithdrawHelper h) internal view {
        assertEq(h.attempts(), 1, "no re-entry attempted");
        assertTrue(!h.lastSuccess(), "re-entry succeeded");
        assertEq(keccak256(h.lastReturnData()), keccak256(_guardError()), "wrong re-entry error");
    }

    /// @dev A valid commitment paying eve 3 ETH with nonce 2: what a re-entry tries to run.
    function _victimWithdrawCall() internal view returns (bytes memory) {
        WithdrawCommitment memory w2 = _withdrawCommitment(ETH, eve, 3 ether, 2);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w2);
        return abi.encodeCall(channel.withdraw, (w2, sa, sb));
    }

    function _assertVictimUntouched(uint256 eveBefore) internal view {
        assertTrue(!channel.isWithdrawExecuted(2), "re-entered withdrawal ran");
        assertEq(eve.balance, eveBefore, "eve was paid");
    }

    // ─── ETH receivers (strict paths: all gas forwarded) ─────────────────────────────────────────────────

    function test_reentrancy_ethReceiverReentersWithdrawWithHelperFails() public {
        receiver.arm(address(channel), _victimWithdrawCall());
        WithdrawCommitment memory w = WithdrawCommitment(ETH, address(receiver), 2 ether, 1, address(helper), "");
        uint256 eveBefore = eve.balance;
        _withdraw(w);
        _assertRefused(receiver);
        _assertVictimUntouched(eveBefore);
        assertEq(address(receiver).balance, 2 ether, "receiver paid exactly");
        assertEq(address(channel).balance, 13 ether, "channel paid exactly once");
        assertEq(channel.totalPaidOut(ETH), 2 ether, "paid out");
        assertEq(helper.callCount(), 1, "helper ran");
        _assertLedger(ETH);
    }

    function test_reentrancy_ethReceiverReentersWithdrawExitFails() public {
        // A channel whose bob is a wallet refusing ETH: its payout is kept as an exit.
        SigningWallet wallet = new SigningWallet(vm.addr(WALLET_KEY));
        IChannel ch = IChannel(factory.createChannel(alice, address(wallet), keccak256("wallet")));
        vm.prank(alice);
        ch.depositAlice{value: 10 ether}(ETH, 10 ether);
        wallet.setRefuseEth(true);
        FinalState memory f = _final(1, _asset(ETH, 4 ether, 6 ether, 10 ether, 0, 1));
        ch.closeChannel(f, _signFinalFor(address(ch), ALICE_KEY, f), _signFinalFor(address(ch), WALLET_KEY, f));
        assertEq(ch.exitOf(ETH, address(wallet)), 6 ether, "exit kept");
        // Anyone moves the wallet's exit to the receiver with its owner's authorization; the receiver re-enters
        // to run a second, valid authorization (nonce 1).
        bytes memory auth0 = signDigest(WALLET_KEY, hasher.exitDigest(address(ch), ETH, address(receiver), 0));
        bytes memory auth1 = signDigest(WALLET_KEY, hasher.exitDigest(address(ch), ETH, address(receiver), 1));
        receiver.arm(address(ch), abi.encodeCall(ch.withdrawExit, (ETH, address(wallet), address(receiver), auth1)));
        vm.prank(eve);
        ch.withdrawExit(ETH, address(wallet), address(receiver), auth0);
        _assertRefused(receiver);
        assertEq(address(receiver).balance, 6 ether, "receiver paid exactly once");
        assertEq(ch.exitOf(ETH, address(wallet)), 0, "exit spent");
        assertEq(ch.exitsOutstanding(ETH), 0, "nothing outstanding");
        assertEq(ch.exitNonce(address(wallet)), 1, "one authorization spent");
        assertEq(address(ch).balance, 0, "channel emptied exactly");
        assertEq(ch.totalPaidOut(ETH), 10 ether, "paid out");
    }

    function test_reentrancy_ethReceiverReentersDefundFails() public {
        ChannelState memory s = _ethState(1, 9 ether, 6 ether, 10 ether, 5 ether, 1);
        _disputeToDefund(s);
        // During the defund phase a withdraw-with-helper pays the receiver, which tries to defund.
        receiver.arm(address(channel), abi.encodeCall(channel.defundChannel, (s, _only(ETH))));
        WithdrawCommitment memory w = WithdrawCommitment(ETH, address(receiver), 1 ether, 1, address(helper), "");
        _withdraw(w);
        _assertRefused(receiver);
        assertEq(channel.defundNonce(ETH), 0, "defunded from inside a withdrawal");
        assertEq(address(channel).balance, 14 ether, "only the withdrawal left");
        assertEq(channel.totalPaidOut(ETH), 1 ether, "paid out");
    }

    function test_reentrancy_ethPushReceiverCannotReenterWithdraw() public {
        // Bounded push (50,000 gas): the receiver either hits the lock or runs out of its allowance, and then the
        // payment is kept as its exit. Either way the second withdrawal never runs and nothing is paid twice.
        receiver.arm(address(channel), _victimWithdrawCall());
        uint256 eveBefore = eve.balance;
        _withdraw(_withdrawCommitment(ETH, address(receiver), 2 ether, 1));
        _assertVictimUntouched(eveBefore);
        assertTrue(!receiver.lastSuccess(), "re-entry succeeded");
        assertEq(
            address(receiver).balance + channel.exitOf(ETH, address(receiver)),
            2 ether,
            "receiver owed exactly the withdrawal"
        );
        assertEq(
            address(channel).balance,
            13 ether + channel.exitOf(ETH, address(receiver)),
            "channel paid at most once"
        );
        _assertLedger(ETH);
    }

    // ─── token hooks ─────────────────────────────────────────────────────────────────────────────────────

    function test_reentrancy_hookTokenReentersDepositAliceFails() public {
        hk.setHook(receiver);
        receiver.arm(address(channel), abi.encodeCall(channel.depositAlice, (address(hk), 1e18)));
        _depositAlice(hk, 100e18);
        _assertRefused(receiver);
        assertEq(channel.totalDepositsAlice(address(hk)), 100e18, "alice credited exactly what arrived");
        assertEq(hk.balanceOf(address(channel)), 100e18, "held");
        assertEq(channel.totalDepositsBob(address(hk)), 0, "bob's figure");
    }

    function test_reentrancy_hookTokenReentersFactoryDepositCannotDoubleCredit() public {
        // Bob funds the counterfactual channel; the node then creates it with a hook-token deposit while a token
        // hook re-enters the (now deployed, unlocked) channel with a deposit of its own.
        bytes32 salt = keccak256("hook channel");
        address ch = factory.channelAddress(alice, bob, salt);
        vm.prank(bob);
        assertTrue(hk.transfer(ch, 30e18), "bob's plain deposit");
        HookDepositor depositor = new HookDepositor();
        hk.mint(address(depositor), 50e18);
        hk.setHook(depositor);
        depositor.arm(IChannel(ch), hk, 20e18);
        vm.prank(alice);
        factory.createChannelAndDeposit(alice, bob, salt, address(hk), 100e18);
        IChannel created = IChannel(ch);
        // The channel is not locked while the factory pulls, so the hook's own tracked deposit (20, made for
        // alice, as anyone may) goes through and is credited once by the channel; the factory subtracts it from
        // the balance difference it measures, so it is not credited a second time. Alice's credit equals exactly
        // what was deposited for her (100 + 20) and bob keeps his 30.
        uint256 held = hk.balanceOf(ch);
        assertEq(held, 150e18, "held: bob 30 + alice 100 + the hook's 20");
        assertEq(depositor.attempts(), 1, "the hook re-entered once");
        assertTrue(depositor.lastSuccess(), "its tracked deposit is a legitimate deposit for alice");
        assertEq(created.totalDepositsAlice(address(hk)), 120e18, "each deposit credited exactly once");
        assertEq(created.totalDepositsBob(address(hk)), 30e18, "bob's plain deposit is still his");
        assertEq(created.totalDepositsAlice(address(hk)) + created.totalDepositsBob(address(hk)), held, "identity");
    }

    function test_reentrancy_hollowFactoryPullWithAHookDepositRevertsNothingReceived() public {
        // A token whose pull by the factory delivers nothing, while its hook makes a tracked deposit of 20 into the
        // (now deployed, unlocked) channel. The balance grows by exactly the hook's deposit, which the channel
        // credits itself: the factory's pull delivered nothing, so the factory must refuse to credit (and to
        // report) a deposit of its own rather than credit zero and emit AliceDepositedOnCreation(..., 0).
        bytes32 salt = keccak256("hollow channel");
        address ch = factory.channelAddress(alice, bob, salt);
        HollowHookToken hollow = new HollowHookToken();
        hollow.mint(alice, 100e18);
        vm.prank(alice);
        hollow.approve(address(factory), type(uint256).max);
        hollow.mint(ch, 30e18); // bob's counterfactual deposit: the balance before the pull is not zero
        HookDepositor depositor = new HookDepositor();
        hollow.mint(address(depositor), 50e18);
        hollow.setHook(depositor);
        hollow.setHollowSpender(address(factory));
        depositor.arm(IChannel(ch), hollow, 20e18);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.NothingReceived.selector, address(hollow)));
        factory.createChannelAndDeposit(alice, bob, salt, address(hollow), 100e18);
        assertEq(ch.code.length, 0, "the whole creation reverted");
        assertEq(hollow.balanceOf(address(depositor)), 50e18, "the hook's deposit reverted with it");
        assertEq(hollow.balanceOf(alice), 100e18, "alice's tokens never moved");

        // The same hollow pull without a hook deposit: nothing arrived at all.
        hollow.setHook(IHookReceiver(address(0)));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.NothingReceived.selector, address(hollow)));
        factory.createChannelAndDeposit(alice, bob, salt, address(hollow), 100e18);
    }

    function test_reentrancy_hookTokenReentersFactoryCreateChannelAndDepositFails() public {
        // The factory's own lock: a token hook re-entering createChannelAndDeposit during the pull is refused.
        bytes32 salt = keccak256("locked factory");
        hk.mint(address(receiver), 10e18);
        vm.prank(address(receiver));
        hk.approve(address(factory), type(uint256).max);
        hk.setHook(receiver);
        receiver.arm(
            address(factory),
            abi.encodeCall(factory.createChannelAndDeposit, (alice, bob, keccak256("nested"), address(hk), 1e18))
        );
        vm.prank(alice);
        address ch = factory.createChannelAndDeposit(alice, bob, salt, address(hk), 100e18);
        _assertRefused(receiver);
        assertEq(factory.channelAddress(alice, bob, keccak256("nested")).code.length, 0, "nested channel created");
        assertEq(IChannel(ch).totalDepositsAlice(address(hk)), 100e18, "alice credited exactly");
        assertEq(hk.balanceOf(address(receiver)), 10e18, "the hook's tokens moved");
    }

    function test_reentrancy_hookTokenReentersWithdrawFails() public {
        _depositAlice(hk, 100e18);
        hk.setHook(receiver);
        receiver.arm(address(channel), _victimWithdrawCall());
        uint256 eveBefore = eve.balance;
        // Strict path (helper named): the token transfer gets all the gas, so the hook reaches the lock.
        _withdraw(WithdrawCommitment(address(hk), bob, 10e18, 1, address(helper), ""));
        _assertRefused(receiver);
        _assertVictimUntouched(eveBefore);
        assertEq(hk.balanceOf(bob), 1_010e18, "bob paid exactly");
        assertEq(hk.balanceOf(address(channel)), 90e18, "channel paid once");
        assertEq(channel.totalPaidOut(address(hk)), 10e18, "paid out");
    }

    function test_reentrancy_hookTokenPushReentersWithdrawFails() public {
        _depositAlice(hk, 100e18);
        hk.setHook(receiver);
        receiver.arm(address(channel), _victimWithdrawCall());
        uint256 eveBefore = eve.balance;
        // Bounded push (120,000 gas for a token): enough for the hook to reach the lock.
        _withdraw(_withdrawCommitment(address(hk), bob, 10e18, 1));
        _assertRefused(receiver);
        _assertVictimUntouched(eveBefore);
        assertEq(hk.balanceOf(bob), 1_010e18, "bob paid exactly");
        assertEq(channel.exitOf(address(hk), bob), 0, "no exit");
        assertEq(channel.totalPaidOut(address(hk)), 10e18, "paid out");
    }

    function test_reentrancy_hookTokenReentersDefundFails() public {
        _depositAlice(hk, 100e18);
        ChannelState memory s = _state(1, _asset(address(hk), 60e18, 40e18, 100e18, 0, 1));
        _disputeToDefund(s);
        hk.setHook(receiver);
        receiver.arm(address(channel), abi.encodeCall(channel.defundChannel, (s, _only(address(hk)))));
        uint256 aliceBefore = hk.balanceOf(alice);
        uint256 bobBefore = hk.balanceOf(bob);
        _defund(s, address(hk));
        _assertRefused(receiver);
        assertEq(hk.balanceOf(alice) - aliceBefore, 60e18, "alice paid exactly once");
        assertEq(hk.balanceOf(bob) - bobBefore, 40e18, "bob paid exactly once");
        assertEq(hk.balanceOf(address(channel)), 0, "channel emptied");
        assertEq(channel.totalPaidOut(address(hk)), 100e18, "paid out");
        assertEq(channel.defundNonce(address(hk)), 1, "defund nonce");
    }

    function test_reentrancy_hookTokenReentersWithdrawExitFails() public {
        _depositAlice(hk, 100e18);
        // While the hook reverts every transfer, bob's pushed payout is kept as his exit.
        RevertingReceiver blocker = new RevertingReceiver();
        hk.setHook(IHookReceiver(address(blocker)));
        _close(_final(1, _asset(address(hk), 70e18, 30e18, 100e18, 0, 1)));
        assertEq(channel.exitOf(address(hk), bob), 30e18, "bob's exit");
        assertEq(channel.exitOf(address(hk), alice), 70e18, "alice's exit");
        // Bob withdraws his exit; the hook re-enters to take alice's with her (valid) authorization.
        bytes memory aliceAuth = _signExit(ALICE_KEY, address(hk), eve, 0);
        hk.setHook(receiver);
        receiver.arm(address(channel), abi.encodeCall(channel.withdrawExit, (address(hk), alice, eve, aliceAuth)));
        vm.prank(bob);
        channel.withdrawExit(address(hk), bob, bob, "");
        _assertRefused(receiver);
        assertEq(hk.balanceOf(bob), 1_030e18, "bob paid exactly");
        assertEq(hk.balanceOf(eve), 0, "alice's exit taken");
        assertEq(channel.exitOf(address(hk), alice), 70e18, "alice's exit intact");
        assertEq(channel.exitNonce(alice), 0, "alice's authorization spent");
        assertEq(hk.balanceOf(address(channel)), 70e18, "held");
    }

    // ─── withdraw helpers ────────────────────────────────────────────────────────────────────────────────

    /// @dev Runs a withdrawal of 1 ETH to bob through a helper that re-enters with `attack`.
    function _withdrawThroughHelper(bytes memory attack) internal returns (ReentrantWithdrawHelper h) {
        h = new ReentrantWithdrawHelper();
        h.setAttackData(attack);
        _withdraw(WithdrawCommitment(ETH, bob, 1 ether, 1, address(h), ""));
        _assertHelperRefused(h);
        assertEq(address(channel).balance, 14 ether, "only the withdrawal left");
        assertEq(channel.totalPaidOut(ETH), 1 ether, "paid out");
    }

    function test_reentrancy_withdrawHelperReentersWithdrawFails() public {
        uint256 eveBefore = eve.balance;
        _withdrawThroughHelper(_victimWithdrawCall());
        _assertVictimUntouched(eveBefore);
    }

    function test_reentrancy_withdrawHelperReentersCloseFails() public {
        FinalState memory f = _final(1, _asset(ETH, 0, 14 ether, 10 ether, 5 ether, 1));
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        _withdrawThroughHelper(abi.encodeCall(channel.closeChannel, (f, sa, sb)));
        assertEq(uint256(channel.disputeRecord().nonce), 0, "closed from inside a withdrawal");
        assertEq(channel.defundNonce(ETH), 0, "defund nonce");
    }

    function test_reentrancy_withdrawHelperReentersDisputeFails() public {
        ChannelState memory s = _ethState(1, 0, 14 ether, 10 ether, 5 ether, 1);
        (bytes memory sa, bytes memory sb) = _sigs(s);
        _withdrawThroughHelper(abi.encodeCall(channel.disputeChannel, (s, sa, sb)));
        assertEq(uint256(channel.disputeRecord().nonce), 0, "disputed from inside a withdrawal");
    }

    /// @dev A disputed state (nonce 1) locking a 1 ETH hashlock transfer from alice to bob, in its defund phase.
    function _disputedTransfer() internal returns (ChannelState memory s, Transfer memory t) {
        t = _hashlockTransfer(1 ether, alice, bob, keccak256("re-entry"), START + 30 days, TIMEOUT, keccak256("t"));
        s = _withRoot(_ethState(1, 0, 14 ether, 10 ether, 5 ether, 1), _leaf(t));
        _disputeToDefund(s);
    }

    function test_reentrancy_withdrawHelperReentersDisputeTransferFails() public {
        (ChannelState memory s, Transfer memory t) = _disputedTransfer();
        _withdrawThroughHelper(abi.encodeCall(channel.disputeTransfer, (s, t, _noProof())));
        assertEq(uint256(channel.transferRecord(_id(t)).settleDeadline), 0, "transfer disputed from inside");
    }

    function test_reentrancy_withdrawHelperReentersDefundTransferFails() public {
        (ChannelState memory s, Transfer memory t) = _disputedTransfer();
        channel.disputeTransfer(s, t, _noProof());
        vm.warp(channel.transferRecord(_id(t)).settleDeadline); // anyone may refund from now on
        _withdrawThroughHelper(abi.encodeCall(channel.defundTransfer, (t, "", "")));
        assertTrue(!channel.transferRecord(_id(t)).settled, "transfer settled from inside a withdrawal");
    }

    function test_reentrancy_withdrawHelperReentersDefundFails() public {
        ChannelState memory s = _ethState(1, 0, 15 ether, 10 ether, 5 ether, 1);
        _disputeToDefund(s);
        _withdrawThroughHelper(abi.encodeCall(channel.defundChannel, (s, _only(ETH))));
        assertEq(channel.defundNonce(ETH), 0, "defunded from inside a withdrawal");
    }

    function test_reentrancy_withdrawHelperReentersDepositAliceFails() public {
        _withdrawThroughHelper(abi.encodeCall(channel.depositAlice, (address(token), 1e18)));
        assertEq(channel.totalDepositsAlice(address(token)), 1_000e18, "deposit credited inside a withdrawal");
    }

    function test_reentrancy_withdrawHelperReentersDepositAliceEthFails() public {
        EthDepositingHelper h = new EthDepositingHelper();
        vm.deal(address(h), 1 ether);
        _withdraw(WithdrawCommitment(ETH, bob, 1 ether, 1, address(h), ""));
        assertEq(h.attempts(), 1, "no re-entry attempted");
        assertTrue(!h.lastSuccess(), "ETH deposit credited inside a withdrawal");
        assertEq(keccak256(h.lastReturnData()), keccak256(_guardError()), "wrong re-entry error");
        assertEq(address(h).balance, 1 ether, "the helper's ETH stayed with it");
        assertEq(channel.totalDepositsAlice(ETH), 10 ether, "alice's deposits");
        assertEq(address(channel).balance, 14 ether, "only the withdrawal left");
    }

    // ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────

    function _depositAlice(HookToken t, uint256 amount) internal {
        vm.prank(alice);
        channel.depositAlice(address(t), amount);
    }

    // ─── read-only re-entrancy ───────────────────────────────────────────────────────────────────────────

    function test_reentrancy_viewsRefuseWhilePayoutRuns() public {
        // A close pays alice first while bob's share is already counted as paid but not yet sent: a view read
        // from alice's receive hook would see bob's deposits inflated by his payout. Every view of the
        // channel's mutable state refuses with ChannelLocked while the lock is held.
        vm.etch(alice, address(new ViewProbe()).code);
        ViewProbe probe = ViewProbe(payable(alice));
        probe.arm(channel);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        _close(_final(1, _asset(ETH, 6 ether, 9 ether, 10 ether, 5 ether, 1)));
        assertEq(alice.balance, a0 + 6 ether, "alice paid (the probe ran within its allowance)");
        assertEq(bob.balance, b0 + 9 ether, "bob paid");
        assertEq(uint256(probe.refused()), 1 + 11, "every ledger view refused mid-payout");
        assertEq(uint256(probe.answered()), 1 + 1, "only the immutable parties answered");
        // Outside the call the same views answer again, exactly.
        assertEq(channel.totalDepositsBob(ETH), 5 ether, "bob's deposits");
        assertEq(channel.totalPaidOut(ETH), 15 ether, "paid out");
        _assertLedger(ETH);
    }

    function test_reentrancy_factoryCreditHoldsTheLockWhileTheTokenAnswers() public {
        // The factory credits a token deposit into an existing channel with creditAliceDeposit, which asks the
        // token for the channel's balance. A token reading the channel's views from its balanceOf finds them
        // refused there: the channel holds its lock while the token's code runs, as every entry point does.
        ViewReadingToken vrt = new ViewReadingToken();
        vrt.mint(alice, 100e18);
        vm.prank(alice);
        vrt.approve(address(factory), type(uint256).max);
        vm.prank(alice);
        factory.createChannelAndDeposit(alice, bob, SALT, address(vrt), 10e18);
        assertEq(channel.totalDepositsAlice(address(vrt)), 10e18, "unwatched, the deposit is credited");
        vrt.watch(address(channel));
        assertEq(vrt.balanceOf(address(channel)), 10e18, "outside a call the channel's views answer the token");
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.BalanceQueryFailed.selector, address(vrt)));
        vm.prank(alice);
        factory.createChannelAndDeposit(alice, bob, SALT, address(vrt), 10e18);
        assertEq(channel.totalDepositsAlice(address(vrt)), 10e18, "nothing credited while the views were refused");
    }

    function test_reentrancy_viewsRefuseInsideAWithdrawHelper() public {
        vm.etch(address(helper), address(new ViewProbeHelper()).code);
        ViewProbeHelper h = ViewProbeHelper(payable(address(helper)));
        _withdraw(WithdrawCommitment(ETH, eve, 1 ether, 1, address(h), ""));
        assertEq(h.refusedWith(), IChannelCore.ChannelLocked.selector, "totalDepositsBob answered inside the helper");
        assertEq(channel.totalPaidOut(ETH), 1 ether, "paid out");
    }
}

/// @title ViewProbeHelper
/// @notice A withdraw helper that reads `totalDepositsBob` of the channel calling it and records the revert.
contract ViewProbeHelper {
    bytes4 public refusedWith;

    function execute(address, address, uint256, bytes calldata) external {
        (bool ok, bytes memory ret) = msg.sender.staticcall(
            abi.encodeCall(IChannelCore.totalDepositsBob, (address(0)))
        );
        if (!ok && ret.length >= 4) refusedWith = bytes4(ret);
    }
}
